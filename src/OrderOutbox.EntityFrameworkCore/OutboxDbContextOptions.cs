using OrderOutbox.Storage;

namespace OrderOutbox.EntityFrameworkCore;

/// <summary>
/// Options of <c>optionsBuilder.UseOrderOutbox(…)</c>: the PostgreSQL wake-up that <c>SaveChanges</c> sends when it
/// writes outbox records. Keep them equal to the PostgreSQL store's options of the dispatcher host
/// (<c>PostgreSqlOutboxOptions.UseNotifications</c>, <c>NotificationChannel</c> and <c>NotificationCooldown</c>). Ignored on other databases.
/// </summary>
public sealed class OutboxDbContextOptions
{
    /// <summary>The default <see cref="NotificationChannel"/>: <c>orderoutbox</c>, the PostgreSQL store's default.</summary>
    public const string DefaultNotificationChannel = "orderoutbox";

    /// <summary>The default <see cref="NotificationCooldown"/>: 5 milliseconds, the PostgreSQL store's default.</summary>
    public static readonly TimeSpan DefaultNotificationCooldown = TimeSpan.FromMilliseconds(5);

    /// <summary>
    /// Whether a <c>SaveChanges</c> that writes outbox records on PostgreSQL also calls <c>pg_notify</c> in the same
    /// transaction, so the dispatcher wakes as soon as it commits (PostgreSQL delivers nothing for a rolled-back one).
    /// </summary>
    /// <value>Default <see langword="true"/>.</value>
    public bool UseNotifications { get; set; } = true;

    /// <summary>The <c>LISTEN</c>/<c>NOTIFY</c> channel. Must match <see cref="SqlIdentifier.Pattern"/>.</summary>
    /// <value>Default <c>orderoutbox</c>.</value>
    public string NotificationChannel { get; set; } = DefaultNotificationChannel;

    /// <summary>
    /// The least time between two wake-up notifications from this process (<c>PostgreSqlOutboxOptions.NotificationCooldown</c>):
    /// a <c>SaveChanges</c> calls <c>pg_notify</c> only when the last notification of this process on the channel, sent
    /// by a context or by the store's writer, is at least this old. <see cref="TimeSpan.Zero"/> makes every one notify.
    /// </summary>
    /// <value>Default 5 milliseconds; from zero to 1 second.</value>
    public TimeSpan NotificationCooldown { get; set; } = DefaultNotificationCooldown;
}
