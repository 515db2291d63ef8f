using Microsoft.Extensions.Options;
using OrderOutbox.Storage;

namespace OrderOutbox.SqlServer;

/// <summary>Validates <see cref="SqlServerOutboxOptions"/> at start-up; each error names the option and the allowed values.</summary>
/// <param name="requireConnectionString">Whether <see cref="OutboxStoreOptions.ConnectionString"/> is needed (not when a data source was given).</param>
internal sealed class SqlServerOutboxOptionsValidator(bool requireConnectionString) : IValidateOptions<SqlServerOutboxOptions>
{
    public ValidateOptionsResult Validate(string? name, SqlServerOutboxOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var errors = Collect(options, requireConnectionString);
        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }

    /// <summary>Returns every problem of <paramref name="options"/> (empty when they are valid).</summary>
    /// <param name="options">The options.</param>
    /// <param name="requireConnectionString">Whether a connection string is required.</param>
    /// <returns>The error messages.</returns>
    internal static List<string> Collect(SqlServerOutboxOptions options, bool requireConnectionString)
    {
        var errors = new List<string>();
        if (options.Schema is not null && !SqlIdentifier.IsValid(options.Schema))
        {
            errors.Add($"SqlServerOutboxOptions.Schema = '{options.Schema}' is not a valid SQL identifier: it must match {SqlIdentifier.Pattern} (or be null for dbo).");
        }

        OutboxStoreOptionsRules.Check(
            options,
            nameof(SqlServerOutboxOptions),
            requireConnectionString
                ? "pass it to UseSqlServer(connectionString), pass a DbDataSource to UseSqlServer(dataSource), or set ConnectionString in the configuration section."
                : null,
            errors);

        return errors;
    }
}
