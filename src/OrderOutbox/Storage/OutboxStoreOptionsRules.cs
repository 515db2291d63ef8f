namespace OrderOutbox.Storage;

/// <summary>
/// The checks of the options every store shares (<see cref="OutboxStoreOptions"/>), so the three validators word them
/// the same way: each error names the option, its value and what is allowed.
/// </summary>
internal static class OutboxStoreOptionsRules
{
    /// <summary>Adds to <paramref name="errors"/> every problem of the shared fields of <paramref name="options"/>.</summary>
    /// <param name="options">The options.</param>
    /// <param name="typeName">The options type as the user knows it, for example <c>SqliteOutboxOptions</c>.</param>
    /// <param name="connectionStringHint">
    /// How to supply the connection string (appended to the "is required" error), or <see langword="null"/> when the
    /// store was given a data source and needs none.
    /// </param>
    /// <param name="errors">The list the errors are added to.</param>
    public static void Check(OutboxStoreOptions options, string typeName, string? connectionStringHint, List<string> errors)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (connectionStringHint is not null && string.IsNullOrWhiteSpace(options.ConnectionString))
        {
            errors.Add($"{typeName}.ConnectionString is required: {connectionStringHint}");
        }

        if (!SqlIdentifier.IsValid(options.TableName))
        {
            errors.Add($"{typeName}.TableName = '{options.TableName}' is not a valid SQL identifier: it must match {SqlIdentifier.Pattern}.");
        }

        if (options.CommandTimeout is { } timeout && !IsValidCommandTimeout(timeout))
        {
            errors.Add(
                $"{typeName}.CommandTimeout = {timeout} is out of range: allowed {OutboxStoreOptions.MinCommandTimeout} to " +
                $"{OutboxStoreOptions.MaxCommandTimeout} (or null for the store's default).");
        }
    }

    /// <summary>Whether <paramref name="timeout"/> is within 1 second and 1 hour.</summary>
    /// <param name="timeout">The timeout.</param>
    /// <returns><see langword="true"/> when it is allowed.</returns>
    public static bool IsValidCommandTimeout(TimeSpan timeout)
        => timeout >= OutboxStoreOptions.MinCommandTimeout && timeout <= OutboxStoreOptions.MaxCommandTimeout;
}
