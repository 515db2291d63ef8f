namespace OrderOutbox.Hosting;

/// <summary>
/// Wakes the dispatcher before its polling interval elapses. The PostgreSQL store calls <see cref="Notify"/> when a
/// <c>LISTEN</c> notification says a record was committed, and the writer tells it when a record was enqueued in this
/// process (the dispatcher then claims shortly after, when the caller has most likely committed); anything else that
/// knows new work is due may call <see cref="Notify"/> too. Registered as a singleton by <c>AddOrderOutbox</c>.
/// </summary>
/// <remarks>
/// Besides the immediate wake-up, it keeps a few wake-ups due later (on the <see cref="TimeProvider"/>'s clock, to the
/// millisecond): the follow-up claim after a notification cooldown, and the claims after an in-process enqueue. They
/// exist only after something was enqueued or notified, so an idle host polls no more than its polling interval.
/// </remarks>
public sealed class OutboxWakeUp : IDisposable
{
    /// <summary>
    /// When the dispatcher claims after a record was enqueued in this process: the writer cannot see the caller's
    /// commit, so it asks for a claim shortly after and, in case the commit took longer, once more a little later.
    /// </summary>
    internal static readonly TimeSpan[] AfterLocalEnqueue = [TimeSpan.FromMilliseconds(2), TimeSpan.FromMilliseconds(20)];

    private readonly object _gate = new();
    private readonly TimeProvider _timeProvider;
    private readonly long _bucket;
    private readonly SortedSet<long> _due = [];
    private TaskCompletionSource<bool> _signal = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private ITimer? _timer;
    private long _timerDue = long.MaxValue;
    private TimeSpan _followUp;
    private bool _disposed;

    /// <summary>Creates the wake-up on the system clock.</summary>
    public OutboxWakeUp()
        : this(TimeProvider.System)
    {
    }

    /// <summary>Creates the wake-up on <paramref name="timeProvider"/>'s clock (the one the dispatcher waits on).</summary>
    /// <param name="timeProvider">The clock of the wake-ups due later.</param>
    public OutboxWakeUp(TimeProvider timeProvider)
    {
        ArgumentNullException.ThrowIfNull(timeProvider);
        _timeProvider = timeProvider;
        _bucket = Math.Max(1, timeProvider.TimestampFrequency / 1000);
    }

    /// <summary>Wakes the dispatcher if it is waiting; otherwise makes its next wait return at once.</summary>
    public void Notify()
    {
        lock (_gate)
        {
            _signal.TrySetResult(true);
        }
    }

    /// <summary>Stops the timer of the wake-ups due later.</summary>
    public void Dispose()
    {
        lock (_gate)
        {
            _disposed = true;
            _due.Clear();
            _timer?.Dispose();
            _timer = null;
        }
    }

    /// <summary>
    /// A notification from another transaction's commit (<c>LISTEN</c>) arrived: wakes the dispatcher now and once more
    /// after <paramref name="cooldown"/>, for the records whose notification the sender's cooldown suppressed. While the
    /// dispatcher's cycles find work it keeps asking for a claim one cooldown later (<see cref="CycleFoundWork"/>).
    /// </summary>
    /// <param name="cooldown">The senders' notification cooldown; zero for no follow-up.</param>
    internal void NotifyCommitted(TimeSpan cooldown)
    {
        Notify();
        if (cooldown > TimeSpan.Zero)
        {
            lock (_gate)
            {
                _followUp = cooldown;
            }

            NotifyAfter(cooldown);
        }
    }

    /// <summary>
    /// A record was enqueued in this process (on a transaction not yet committed): the dispatcher claims after each of
    /// <see cref="AfterLocalEnqueue"/>.
    /// </summary>
    internal void RecordEnqueued()
    {
        foreach (TimeSpan delay in AfterLocalEnqueue)
        {
            NotifyAfter(delay);
        }
    }

    /// <summary>
    /// The dispatcher's cycle attempted records: if notifications were coming in with a cooldown, claim once more one
    /// cooldown later, so records whose notification was suppressed during a busy stretch are not left to the poll.
    /// </summary>
    internal void CycleFoundWork()
    {
        TimeSpan followUp;
        lock (_gate)
        {
            followUp = _followUp;
        }

        if (followUp > TimeSpan.Zero)
        {
            NotifyAfter(followUp);
        }
    }

    /// <summary>Wakes the dispatcher after <paramref name="delay"/> (rounded up to the millisecond; due times that fall in the same millisecond are one).</summary>
    /// <param name="delay">How long from now.</param>
    internal void NotifyAfter(TimeSpan delay)
    {
        long now = _timeProvider.GetTimestamp();
        long due = DueBucket(now, delay, _timeProvider.TimestampFrequency, _bucket);
        lock (_gate)
        {
            if (_disposed || !_due.Add(due) || due >= _timerDue)
            {
                return;
            }

            ArmLocked(now);
        }
    }

    /// <summary>The number of wake-ups due later (for tests).</summary>
    internal int PendingCount
    {
        get
        {
            lock (_gate)
            {
                return _due.Count;
            }
        }
    }

    /// <summary>
    /// The due timestamp of a wake-up <paramref name="delay"/> after <paramref name="now"/>, rounded up to a multiple of
    /// <paramref name="bucket"/> so wake-ups asked for in the same millisecond share one timer tick.
    /// </summary>
    /// <param name="now">The current timestamp.</param>
    /// <param name="delay">The delay.</param>
    /// <param name="frequency">Timestamp units per second.</param>
    /// <param name="bucket">The rounding unit, in timestamp units.</param>
    /// <returns>The due timestamp.</returns>
    internal static long DueBucket(long now, TimeSpan delay, long frequency, long bucket)
    {
        long at = now + (long)Math.Ceiling(delay.Ticks * (frequency / (double)TimeSpan.TicksPerSecond));
        long rest = at % bucket;
        return rest == 0 ? at : at + (bucket - rest);
    }

    /// <summary>
    /// Returns a task that completes at the next <see cref="Notify"/> (or at once if one is pending), and clears it.
    /// Used by the dispatcher loop.
    /// </summary>
    /// <returns>A task that completes on the next notification.</returns>
    internal Task WaitAsync()
    {
        lock (_gate)
        {
            if (_signal.Task.IsCompleted)
            {
                _signal = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
                return Task.CompletedTask;
            }

            return _signal.Task;
        }
    }

    /// <summary>Clears a pending notification (called when a cycle starts, since it will see all committed work).</summary>
    internal void Reset()
    {
        lock (_gate)
        {
            if (_signal.Task.IsCompleted)
            {
                _signal = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
            }
        }
    }

    private void OnTimer()
    {
        lock (_gate)
        {
            if (_disposed)
            {
                return;
            }

            long now = _timeProvider.GetTimestamp();
            _timerDue = long.MaxValue;
            while (_due.Count > 0 && _due.Min <= now)
            {
                _due.Remove(_due.Min);
            }

            if (_due.Count > 0)
            {
                ArmLocked(now);
            }

            _signal.TrySetResult(true);
        }
    }

    private void ArmLocked(long now)
    {
        long due = _due.Min;
        _timerDue = due;
        TimeSpan wait = TimeSpan.FromTicks(Math.Max(0, (long)Math.Ceiling((due - now) * (TimeSpan.TicksPerSecond / (double)_timeProvider.TimestampFrequency))));
        if (_timer is null)
        {
            _timer = _timeProvider.CreateTimer(static s => ((OutboxWakeUp)s!).OnTimer(), this, wait, Timeout.InfiniteTimeSpan);
        }
        else
        {
            _timer.Change(wait, Timeout.InfiniteTimeSpan);
        }
    }
}
