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

    /// <summary>The default <see cref="NotificationCooldown"/>: 5 milliseconds.</summary>
    public static readonly TimeSpan DefaultNotificationCooldown = TimeSpan.FromMilliseconds(5);

    /// <summary>The largest <see cref="NotificationCooldown"/>: 1 second.</summary>
    public static readonly TimeSpan MaxNotificationCooldown = TimeSpan.FromSeconds(1);

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

    /// <summary>
    /// The least time between two wake-up notifications sent from this process: an enqueue carries <c>pg_notify</c> only
    /// when the last one from this process is at least this old, so most transactions skip PostgreSQL's notify lock
    /// (taken at commit and held through the WAL flush). A dispatcher woken by a notification claims once more after the
    /// cooldown, and again while claims find work, so a record whose notification was suppressed waits about one
    /// cooldown, not a polling interval. <see cref="TimeSpan.Zero"/> makes every enqueue notify.
    /// Ignored when <see cref="UseNotifications"/> is <see langword="false"/>. Keep it equal on the writers and the
    /// dispatchers.
    /// </summary>
    /// <value>Default 5 milliseconds; from zero to 1 second.</value>
    public TimeSpan NotificationCooldown { get; set; } = DefaultNotificationCooldown;
}
