namespace OrderOutbox.Hosting;

/// <summary>
/// When the background dispatcher of this process last completed a cycle (claimed, dispatched and recorded whatever was
/// due, or found nothing to do) or, during a long cycle such as the drain of a large backlog, last wrote a batch of
/// outcomes. A cycle that fails (for example because the database is down) does not count. Health checks read it to tell a dispatcher that is alive from one that is stuck or failing. Registered as a singleton by
/// <c>AddOrderOutbox</c>; thread-safe.
/// </summary>
public sealed class OutboxDispatcherHeartbeat
{
    private readonly TimeProvider _timeProvider;
    private long _lastCompletedTicks;

    /// <summary>Creates the heartbeat; <see cref="CreatedAt"/> is now.</summary>
    /// <param name="timeProvider">The clock of the host.</param>
    public OutboxDispatcherHeartbeat(TimeProvider timeProvider)
    {
        _timeProvider = timeProvider ?? throw new ArgumentNullException(nameof(timeProvider));
        CreatedAt = timeProvider.GetUtcNow();
    }

    /// <summary>When this heartbeat was created (about when the host started): the reference before a first cycle.</summary>
    public DateTimeOffset CreatedAt { get; }

    /// <summary>When the last cycle completed or the last batch of outcomes was written during a cycle, or
    /// <see langword="null"/> if neither has happened yet.</summary>
    public DateTimeOffset? LastCompletedCycleAt
    {
        get
        {
            long ticks = Interlocked.Read(ref _lastCompletedTicks);
            return ticks == 0 ? null : new DateTimeOffset(ticks, TimeSpan.Zero);
        }
    }

    /// <summary>Records that a cycle completed now. Called by the dispatcher loop.</summary>
    internal void CycleCompleted() => Interlocked.Exchange(ref _lastCompletedTicks, _timeProvider.GetUtcNow().UtcTicks);

    /// <summary>Records that the running cycle wrote a batch of outcomes now (progress within a long cycle).</summary>
    internal void BatchWritten() => CycleCompleted();
}
