using OrderOutbox.Storage;

namespace OrderOutbox.PostgreSql;

/// <summary>
/// Options of the PostgreSQL store: the connection, where the table lives, and the <c>LISTEN</c>/<c>NOTIFY</c> wake-up.
/// Bound from configuration by <c>UsePostgreSql(IConfiguration)</c> or set in <c>UsePostgreSql(…, o =&gt; …)</c>.
/// </summary>
public sealed class PostgreSqlOutboxOptions : OutboxStoreOptions
{
    /// <summary>The default <see cref="OutboxStoreOptions.Schema"/>: <c>public</c>.</summary>
    public const string DefaultSchema = "public";

    /// <summary>The default <see cref="NotificationChannel"/>: <c>orderoutbox</c>.</summary>
    public const string DefaultNotificationChannel = "orderoutbox";

    /// <summary>Creates options with the defaults (schema <c>public</c>, table <c>outbox_messages</c>, notifications on).</summary>
    public PostgreSqlOutboxOptions() => Schema = DefaultSchema;

    /// <summary>
    /// Whether enqueue also issues <c>pg_notify</c> (delivered by PostgreSQL only when the transaction commits) and the
    /// host <c>LISTEN</c>s on <see cref="NotificationChannel"/> to wake the dispatcher at once. Polling stays the safety net.
    /// </summary>
    /// <value>Default <see langword="true"/>.</value>
    public bool UseNotifications { get; set; } = true;

    /// <summary>The <c>LISTEN</c>/<c>NOTIFY</c> channel. Must match <see cref="SqlIdentifier.Pattern"/>.</summary>
    /// <value>Default <c>orderoutbox</c>.</value>
    public string NotificationChannel { get; set; } = DefaultNotificationChannel;
}
