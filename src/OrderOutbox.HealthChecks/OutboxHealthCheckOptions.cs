using System.ComponentModel.DataAnnotations;

namespace OrderOutbox.HealthChecks;

/// <summary>
/// Options of the outbox health check registered by <c>AddHealthChecks().AddOrderOutbox(o =&gt; …)</c>, one set per
/// registration name. Validated when the host starts: an option out of range stops the start with a message that names
/// it, its value and the allowed range.
/// </summary>
public sealed class OutboxHealthCheckOptions
{
    /// <summary>The default <see cref="MaxCycleAge"/>: 5 minutes.</summary>
    public static readonly TimeSpan DefaultMaxCycleAge = TimeSpan.FromMinutes(5);

    /// <summary>The default <see cref="MaxOldestDueAge"/>: 5 minutes.</summary>
    public static readonly TimeSpan DefaultMaxOldestDueAge = TimeSpan.FromMinutes(5);

    /// <summary>The default <see cref="MaxDeadLetters"/>: 0 (any dead letter makes the outbox degraded).</summary>
    public const int DefaultMaxDeadLetters = 0;

    /// <summary>The default <see cref="StoreTimeout"/>: 5 seconds.</summary>
    public static readonly TimeSpan DefaultStoreTimeout = TimeSpan.FromSeconds(5);

    /// <summary>
    /// Whether the check is unhealthy when this host's dispatcher has not completed a cycle within
    /// <see cref="MaxCycleAge"/>. Not checked in a host that does not run the dispatcher (<c>RunDispatcher = false</c>).
    /// </summary>
    /// <value>Default <see langword="true"/>.</value>
    public bool CheckDispatcher { get; set; } = true;

    /// <summary>
    /// The longest time the dispatcher may go without completing a cycle (since the last one, or since start) before
    /// the check is unhealthy. An idle dispatcher completes one per polling interval; a failing one (database down)
    /// completes none. A cycle drains the backlog while claims come back full, so set it above the longest drain you
    /// expect.
    /// </summary>
    /// <value>Default 5 minutes; allowed 1 second to 1 day, and longer than <c>OutboxOptions.PollingInterval</c>.</value>
    [Range(typeof(TimeSpan), "00:00:01", "1.00:00:00")]
    public TimeSpan MaxCycleAge { get; set; } = DefaultMaxCycleAge;

    /// <summary>
    /// The check is degraded when the oldest due record has waited longer than this (the dispatchers do not keep up, or
    /// the receiver keeps failing); <see langword="null"/> to not check.
    /// </summary>
    /// <value>Default 5 minutes; allowed 1 second to 30 days, or <see langword="null"/>.</value>
    [Range(typeof(TimeSpan), "00:00:01", "30.00:00:00")]
    public TimeSpan? MaxOldestDueAge { get; set; } = DefaultMaxOldestDueAge;

    /// <summary>
    /// The check is degraded when there are more dead letters than this (they wait for an operator);
    /// <see langword="null"/> to not check.
    /// </summary>
    /// <value>Default 0 (any dead letter); allowed 0 to 2,147,483,647, or <see langword="null"/>.</value>
    [Range(0, int.MaxValue)]
    public int? MaxDeadLetters { get; set; } = DefaultMaxDeadLetters;

    /// <summary>How long the check waits for the store's statistics before it reports the store unreachable.</summary>
    /// <value>Default 5 seconds; allowed 100 milliseconds to 5 minutes.</value>
    [Range(typeof(TimeSpan), "00:00:00.100", "00:05:00")]
    public TimeSpan StoreTimeout { get; set; } = DefaultStoreTimeout;
}
