namespace OrderOutbox.HealthChecks;

/// <summary>What one run of the outbox health check observed, for <see cref="OutboxHealthEvaluation.Evaluate"/>.</summary>
/// <param name="Now">The time of the check.</param>
/// <param name="Statistics">The store's statistics, or <see langword="null"/> when they could not be read.</param>
/// <param name="StoreError">Why the statistics could not be read, or <see langword="null"/>.</param>
/// <param name="DispatcherExpected">Whether this host runs the dispatcher and the options ask to check it.</param>
/// <param name="LastCycleAt">When the dispatcher last completed a cycle, or <see langword="null"/> if never.</param>
/// <param name="RunningSince">The reference before a first cycle (when the heartbeat was created, about the host's start).</param>
/// <param name="OpenCircuits">The endpoints whose outage circuit is open on this instance (none when the circuit is off).</param>
internal readonly record struct OutboxHealthInputs(
    DateTimeOffset Now,
    OutboxStatistics? Statistics,
    Exception? StoreError,
    bool DispatcherExpected,
    DateTimeOffset? LastCycleAt,
    DateTimeOffset RunningSince,
    IReadOnlyList<string>? OpenCircuits = null);
