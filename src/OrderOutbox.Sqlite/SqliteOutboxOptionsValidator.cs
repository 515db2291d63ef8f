using Microsoft.Extensions.Options;
using OrderOutbox.Storage;

namespace OrderOutbox.Sqlite;

/// <summary>Validates <see cref="SqliteOutboxOptions"/> at start-up; each error names the option and the allowed values.</summary>
internal sealed class SqliteOutboxOptionsValidator : IValidateOptions<SqliteOutboxOptions>
{
    public ValidateOptionsResult Validate(string? name, SqliteOutboxOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var errors = Collect(options);
        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }

    /// <summary>Returns every problem of <paramref name="options"/> (empty when they are valid).</summary>
    /// <param name="options">The options.</param>
    /// <returns>The error messages.</returns>
    internal static List<string> Collect(SqliteOutboxOptions options)
    {
        var errors = new List<string>();
        if (options.Schema is not null)
        {
            errors.Add($"SqliteOutboxOptions.Schema = '{options.Schema}' is not supported: SQLite has no schemas; leave it null.");
        }

        OutboxStoreOptionsRules.Check(
            options,
            nameof(SqliteOutboxOptions),
            "pass it to UseSqlite(connectionString) or set ConnectionString in the configuration section.",
            errors);

        return errors;
    }
}
