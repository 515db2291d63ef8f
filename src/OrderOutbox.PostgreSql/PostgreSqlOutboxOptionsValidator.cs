using Microsoft.Extensions.Options;
using OrderOutbox.Storage;

namespace OrderOutbox.PostgreSql;

/// <summary>Validates <see cref="PostgreSqlOutboxOptions"/> at host start; each failure names the option, its value and the allowed range.</summary>
/// <param name="requireConnectionString">Whether the store builds its own data source from <see cref="OutboxStoreOptions.ConnectionString"/>.</param>
internal sealed class PostgreSqlOutboxOptionsValidator(bool requireConnectionString) : IValidateOptions<PostgreSqlOutboxOptions>
{
    public ValidateOptionsResult Validate(string? name, PostgreSqlOutboxOptions options)
    {
        var failures = new List<string>();
        CheckIdentifier(options.Schema ?? PostgreSqlOutboxOptions.DefaultSchema, "PostgreSqlOutboxOptions.Schema", failures);
        CheckIdentifier(options.NotificationChannel, "PostgreSqlOutboxOptions.NotificationChannel", failures);
        if (!IsValidNotificationCooldown(options.NotificationCooldown))
        {
            failures.Add(
                $"PostgreSqlOutboxOptions.NotificationCooldown = {options.NotificationCooldown} is out of range: it must be between " +
                $"00:00:00 (every enqueue notifies) and {PostgreSqlOutboxOptions.MaxNotificationCooldown}.");
        }

        if (!PostgreSqlOutboxOptions.IsValidFillFactor(options.FillFactor))
        {
            failures.Add($"PostgreSqlOutboxOptions.FillFactor = {options.FillFactor} is out of range: it must be between {PostgreSqlOutboxOptions.MinFillFactor} and {PostgreSqlOutboxOptions.MaxFillFactor} (percent of each table page filled by inserts).");
        }

        OutboxStoreOptionsRules.Check(
            options,
            nameof(PostgreSqlOutboxOptions),
            requireConnectionString
                ? "pass it to UsePostgreSql(connectionString), set ConnectionString in the bound configuration section, or call UsePostgreSql(NpgsqlDataSource)."
                : null,
            failures);

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }

    /// <summary>Whether <paramref name="cooldown"/> is in the allowed range: zero to <see cref="PostgreSqlOutboxOptions.MaxNotificationCooldown"/>.</summary>
    internal static bool IsValidNotificationCooldown(TimeSpan cooldown)
        => cooldown >= TimeSpan.Zero && cooldown <= PostgreSqlOutboxOptions.MaxNotificationCooldown;

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
