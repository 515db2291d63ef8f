namespace OrderOutbox.Tests.Conformance;

/// <summary>
/// The schema scripts exactly as version 0.1 shipped them (embedded copies), for the migration tests: a table made by
/// one of them must keep its rows when the current store's <see cref="IOutboxStore.EnsureSchemaAsync"/> runs.
/// </summary>
internal static class LegacySchemaScripts
{
    /// <summary>Reads one script, with its placeholders.</summary>
    /// <param name="fileName">The file name in <c>Conformance/Legacy</c>, for example <c>postgresql.v0.1.sql</c>.</param>
    /// <returns>The script text.</returns>
    public static string Read(string fileName)
    {
        using Stream stream = typeof(LegacySchemaScripts).Assembly.GetManifestResourceStream("Legacy." + fileName)
            ?? throw new InvalidOperationException($"The embedded legacy script 'Legacy.{fileName}' is missing.");
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }
}
