namespace OrderOutbox.Storage;

/// <summary>The order in which a store hands out claimed records (for store implementers).</summary>
public static class ClaimOrder
{
    /// <summary>
    /// Oldest <see cref="OutboxMessage.NextAttemptAt"/> first, then by ID — the order the claim chose them in, which
    /// <c>UPDATE … RETURNING</c> / <c>OUTPUT</c> do not preserve.
    /// </summary>
    public static Comparison<OutboxMessage> OldestDueFirst { get; } = static (a, b) =>
    {
        int byDue = a.NextAttemptAt.CompareTo(b.NextAttemptAt);
        return byDue != 0 ? byDue : a.Id.CompareTo(b.Id);
    };
}
