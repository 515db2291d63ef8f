using System.Collections.Concurrent;

namespace OrderOutbox.Storage;

/// <summary>
/// Decides, per enqueue, whether it carries the wake-up notification (<c>pg_notify</c>): at most one per channel per
/// cooldown from this process (the idea of River's <c>notifylimiter</c>). PostgreSQL serialises the commits of
/// notifying transactions on one lock held through the WAL flush, so most enqueues carry none; the dispatcher, woken by
/// the one that did, claims again after the cooldown for the records whose notification was suppressed.
/// Thread-safe; the store, the bulk writer paths and the EF Core interceptor share one per channel
/// (<see cref="ForChannel"/>).
/// </summary>
internal sealed class NotificationLimiter
{
    private static readonly ConcurrentDictionary<string, LastNotification> Channels = new(StringComparer.Ordinal);

    private readonly TimeProvider _timeProvider;
    private readonly long _cooldown;
    private readonly LastNotification _last;

    /// <summary>Creates a limiter with its own record of the last notification.</summary>
    /// <param name="cooldown">The least time between two notifications; zero lets every enqueue notify.</param>
    /// <param name="timeProvider">The clock (its monotonic timestamp).</param>
    public NotificationLimiter(TimeSpan cooldown, TimeProvider timeProvider)
        : this(cooldown, timeProvider, new LastNotification())
    {
    }

    private NotificationLimiter(TimeSpan cooldown, TimeProvider timeProvider, LastNotification last)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(cooldown, TimeSpan.Zero);
        ArgumentNullException.ThrowIfNull(timeProvider);
        _timeProvider = timeProvider;
        _cooldown = (long)Math.Ceiling(cooldown.Ticks * (timeProvider.TimestampFrequency / (double)TimeSpan.TicksPerSecond));
        Cooldown = cooldown;
        _last = last;
    }

    /// <summary>The cooldown this limiter keeps between two notifications.</summary>
    public TimeSpan Cooldown { get; }

    /// <summary>
    /// The limiter of <paramref name="channel"/> for this process: on the system clock, every limiter returned for the
    /// same channel shares the time of the last notification, whichever path (store, EF Core) sent it; on another clock
    /// (a test's fake one) the limiter keeps its own.
    /// </summary>
    /// <param name="channel">The notification channel.</param>
    /// <param name="cooldown">The least time between two notifications.</param>
    /// <param name="timeProvider">The clock.</param>
    /// <returns>A limiter for the channel.</returns>
    public static NotificationLimiter ForChannel(string channel, TimeSpan cooldown, TimeProvider timeProvider)
        => ReferenceEquals(timeProvider, TimeProvider.System)
            ? new(cooldown, timeProvider, Channels.GetOrAdd(channel, static _ => new LastNotification()))
            : new(cooldown, timeProvider);

    /// <summary>
    /// Whether the enqueue being written should carry the notification. Returns <see langword="true"/> for at most one
    /// caller per cooldown (and then counts the notification as sent), <see langword="false"/> for the others.
    /// </summary>
    /// <returns><see langword="true"/> when this enqueue notifies.</returns>
    public bool ShouldNotify()
    {
        if (_cooldown == 0)
        {
            return true;
        }

        while (true)
        {
            long last = Volatile.Read(ref _last.At);
            long now = _timeProvider.GetTimestamp();
            if (!IsDue(last == LastNotification.Never ? null : last, now, _cooldown))
            {
                return false;
            }

            if (Interlocked.CompareExchange(ref _last.At, now, last) == last)
            {
                return true;
            }
        }
    }

    /// <summary>
    /// The limiter's decision: a notification is due when none was sent yet, when the cooldown is zero, or when at least
    /// the cooldown has passed since the last one. A "now" before the last notification (another thread took its
    /// timestamp later but recorded it first) is within the cooldown.
    /// </summary>
    /// <param name="lastNotifiedAt">The timestamp of the last notification, or <see langword="null"/> when none was sent.</param>
    /// <param name="now">The current timestamp.</param>
    /// <param name="cooldown">The cooldown, in timestamp units.</param>
    /// <returns>Whether to notify now.</returns>
    internal static bool IsDue(long? lastNotifiedAt, long now, long cooldown)
        => cooldown <= 0 || lastNotifiedAt is not { } last || now - last >= cooldown;

    private sealed class LastNotification
    {
        public const long Never = long.MinValue;

        public long At = Never;
    }
}
