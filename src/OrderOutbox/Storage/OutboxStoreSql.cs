namespace OrderOutbox.Storage;

/// <summary>
/// The statements every store runs, expanded for one table. Each store's <c>XxxOutboxSql</c> derives from it, keeps
/// its <c>const</c> templates and sets these from them in its constructor.
/// </summary>
internal abstract class OutboxStoreSql
{
    /// <summary>Inserts one record.</summary>
    public string Insert { get; protected init; } = string.Empty;

    /// <summary>Claims a batch of due records under a lease.</summary>
    public string Claim { get; protected init; } = string.Empty;

    /// <summary>Claims a batch with per-aggregate ordering, dead letters holding their aggregate.</summary>
    public string ClaimPerAggregate { get; protected init; } = string.Empty;

    /// <summary>Claims a batch with per-aggregate ordering, dead letters not holding their aggregate.</summary>
    public string ClaimPerAggregateContinue { get; protected init; } = string.Empty;

    /// <summary>The claim statement for <paramref name="ordering"/>, after checking a claim's arguments.</summary>
    /// <param name="ordering">The claim rule.</param>
    /// <param name="batchSize">How many records the claim may take: at least 1.</param>
    /// <param name="leaseOwner">The claim token: not empty.</param>
    /// <returns>One of <see cref="Claim"/>, <see cref="ClaimPerAggregate"/>, <see cref="ClaimPerAggregateContinue"/>.</returns>
    public string ClaimFor(ClaimOrdering ordering, int batchSize, string leaseOwner)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(batchSize, 1);
        string sql = ordering switch
        {
            ClaimOrdering.Unordered => Claim,
            ClaimOrdering.PerAggregate => ClaimPerAggregate,
            ClaimOrdering.PerAggregateContinueAfterDeadLetter => ClaimPerAggregateContinue,
            _ => throw new ArgumentOutOfRangeException(nameof(ordering), ordering, "Unknown ClaimOrdering."),
        };
        ArgumentException.ThrowIfNullOrEmpty(leaseOwner);
        return sql;
    }

    /// <summary>Writes the outcomes of a batch, fenced by the claim token.</summary>
    public string Complete { get; protected init; } = string.Empty;

    /// <summary>Releases claimed records without an attempt.</summary>
    public string Release { get; protected init; } = string.Empty;

    /// <summary>Reads the statistics.</summary>
    public string Statistics { get; protected init; } = string.Empty;

    /// <summary>Reads one record.</summary>
    public string Get { get; protected init; } = string.Empty;

    /// <summary>Requeues one dead letter.</summary>
    public string Requeue { get; protected init; } = string.Empty;

    /// <summary>Counts the dead letters of a filter.</summary>
    public string CountDeadLetters { get; protected init; } = string.Empty;

    /// <summary>Lists a page of the dead letters of a filter.</summary>
    public string ListFilteredDeadLetters { get; protected init; } = string.Empty;

    /// <summary>Requeues one batch of the dead letters of a filter.</summary>
    public string Replay { get; protected init; } = string.Empty;

    /// <summary>Deletes one batch of old sent records.</summary>
    public string PurgeSent { get; protected init; } = string.Empty;

    /// <summary>The schema script (<c>Schema/outbox.&lt;store&gt;.sql</c>) for this table.</summary>
    public string Schema { get; protected init; } = string.Empty;
}
