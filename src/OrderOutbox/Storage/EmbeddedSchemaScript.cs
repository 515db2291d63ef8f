using System.Reflection;

namespace OrderOutbox.Storage;

/// <summary>Reads a store's schema script (<c>Schema/outbox.&lt;store&gt;.sql</c>), embedded in the store's assembly.</summary>
internal static class EmbeddedSchemaScript
{
    /// <summary>Returns the text of the embedded resource <paramref name="resourceName"/> of <paramref name="assembly"/>.</summary>
    /// <param name="assembly">The store's assembly.</param>
    /// <param name="resourceName">The manifest resource name, for example <c>OrderOutbox.Sqlite.Schema.outbox.sqlite.sql</c>.</param>
    /// <returns>The script text, placeholders included.</returns>
    /// <exception cref="InvalidOperationException">The resource is missing.</exception>
    public static string Read(Assembly assembly, string resourceName)
    {
        ArgumentNullException.ThrowIfNull(assembly);
        using Stream stream = assembly.GetManifestResourceStream(resourceName)
            ?? throw new InvalidOperationException($"The embedded schema script '{resourceName}' is missing from {assembly.GetName().Name}.");
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }
}
