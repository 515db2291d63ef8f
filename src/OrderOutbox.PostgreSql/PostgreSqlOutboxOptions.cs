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

    /// <summary>The default <see cref="FillFactor"/>: 50 (half of each page kept free, so the claim can write the lease of every row of a page as a HOT update).</summary>
    public const int DefaultFillFactor = 50;

    /// <summary>The smallest <see cref="FillFactor"/> PostgreSQL accepts: 10.</summary>
    public const int MinFillFactor = 10;

    /// <summary>The largest <see cref="FillFactor"/>: 100 (pages packed full, PostgreSQL's own default).</summary>
    public const int MaxFillFactor = 100;

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

    /// <summary>
    /// The outbox table's <c>fillfactor</c>: the percentage of each heap page that inserts fill, the rest left free so the
    /// dispatcher's lease update of a claimed record (which changes no indexed column) can write its new row version on
    /// the same page as a HOT update, without index entries. <c>EnsureSchemaAsync</c> applies it to an existing table
    /// too (<c>ALTER TABLE … SET</c>, no rewrite: it governs the pages written from then on).
    /// </summary>
    /// <value>Default 50; 10 to 100.</value>
    public int FillFactor { get; set; } = DefaultFillFactor;

    /// <summary>
    /// Whether the dispatcher's bookkeeping on the store's own connections — claims, outcomes and releases — commits with
    /// <c>synchronous_commit = off</c> for that transaction only, so it does not wait for the WAL flush. The enqueue in
    /// your business transaction is never affected. The trade-off: if the PostgreSQL server crashes (not merely your
    /// application), the last fraction of a second of bookkeeping can be lost, so a record already delivered can be
    /// claimed and delivered again — still at-least-once, never lost. Turn it off to make every bookkeeping commit wait
    /// for the flush.
    /// </summary>
    /// <value>Default <see langword="true"/>.</value>
    public bool AsynchronousBookkeepingCommit { get; set; } = true;

    /// <summary>The failure message of a <see cref="FillFactor"/> out of range.</summary>
    internal const string FillFactorRangeMessage = "PostgreSqlOutboxOptions.FillFactor must be between 10 and 100 (percent of each table page filled by inserts).";

    /// <summary>Whether <paramref name="fillFactor"/> is a valid <see cref="FillFactor"/>.</summary>
    internal static bool IsValidFillFactor(int fillFactor) => fillFactor is >= MinFillFactor and <= MaxFillFactor;
}
