namespace OrderOutbox.Storage;

/// <summary>Which records a claim may take with respect to their aggregate (for store implementers).</summary>
public enum ClaimOrdering
{
    /// <summary>Any due record, whatever its aggregate.</summary>
    Unordered = 0,

    /// <summary>
    /// A due record with an aggregate ID only when no record of the same aggregate enqueued before it is still
    /// <c>PENDING</c>, <c>FAILED</c> (leased or not) or <c>DEAD_LETTER</c>: a dead letter holds the rest of its aggregate
    /// until it is requeued (and sent) or deleted. Records without an aggregate ID are unordered.
    /// </summary>
    PerAggregate = 1,

    /// <summary>
    /// As <see cref="PerAggregate"/>, but an earlier dead letter does not hold the records after it: only earlier
    /// <c>PENDING</c> or <c>FAILED</c> records block.
    /// </summary>
    PerAggregateContinueAfterDeadLetter = 2,
}
