using Microsoft.Extensions.Options;
using OrderOutbox.Storage;

namespace OrderOutbox.PostgreSql;

/// <summary>Validates <see cref="PostgreSqlOutboxOptions"/> at host start; each failure names the option, its value and the allowed range.</summary>
/// <param name="requireConnectionString">Whether the store builds its own data source from <see cref="PostgreSqlOutboxOptions.ConnectionString"/>.</param>
internal sealed class PostgreSqlOutboxOptionsValidator(bool requireConnectionString) : IValidateOptions<PostgreSqlOutboxOptions>
{
    public ValidateOptionsResult Validate(string? name, PostgreSqlOutboxOptions options)
    {
        var failures = new List<string>();
        CheckIdentifier(options.Schema ?? PostgreSqlOutboxOptions.DefaultSchema, "PostgreSqlOutboxOptions.Schema", failures);
        CheckIdentifier(options.TableName, "PostgreSqlOutboxOptions.TableName", failures);
        CheckIdentifier(options.NotificationChannel, "PostgreSqlOutboxOptions.NotificationChannel", failures);

        if (requireConnectionString && string.IsNullOrWhiteSpace(options.ConnectionString))
        {
            failures.Add(
                "PostgreSqlOutboxOptions.ConnectionString is required: pass it to UsePostgreSql(connectionString), set " +
                "ConnectionString in the bound configuration section, or call UsePostgreSql(NpgsqlDataSource).");
        }

        if (options.CommandTimeout is { } timeout && (timeout < TimeSpan.FromSeconds(1) || timeout > TimeSpan.FromHours(1)))
        {
            failures.Add($"PostgreSqlOutboxOptions.CommandTimeout = {timeout} is out of range: allowed 00:00:01 to 01:00:00 (or null for the connection string's).");
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }

    private static void CheckIdentifier(string? value, string optionName, List<string> failures)
    {
        if (!SqlIdentifier.IsValid(value))
        {
            failures.Add(
                $"{optionName} = '{value}' is not a valid SQL identifier: it must match {SqlIdentifier.Pattern} " +
                "(a letter or underscore, then letters, digits or underscores, at most 63 characters).");
        }
    }
}
