namespace OrderOutbox;

/// <summary>
/// Operations on the outbox for people and tooling: backlog health, dead letters, requeue and purge.
/// Implemented by each store package and registered by its <c>Use…</c> method.
/// </summary>
public interface IOutboxAdmin
{
    /// <summary>Counts records per status and measures the age of the oldest due record.</summary>
    /// <param name="cancellationToken">Cancels the query.</param>
    /// <returns>The statistics.</returns>
    Task<OutboxStatistics> GetStatisticsAsync(CancellationToken cancellationToken = default);

    /// <summary>Reads one record by ID.</summary>
    /// <param name="id">The message ID.</param>
    /// <param name="cancellationToken">Cancels the query.</param>
    /// <returns>The record, or <see langword="null"/> if there is none with that ID.</returns>
    Task<OutboxMessage?> GetAsync(Guid id, CancellationToken cancellationToken = default);

    /// <summary>Lists dead letters in ID order (oldest first), one page at a time (keyset paging).</summary>
    /// <param name="limit">The page size (1 to 1000).</param>
    /// <param name="after">The last ID of the previous page, or <see langword="null"/> for the first page.</param>
    /// <param name="cancellationToken">Cancels the query.</param>
    /// <returns>Up to <paramref name="limit"/> dead letters with IDs greater than <paramref name="after"/>.</returns>
    Task<IReadOnlyList<OutboxMessage>> ListDeadLettersAsync(int limit = 100, Guid? after = null, CancellationToken cancellationToken = default);

    /// <summary>
    /// Moves one dead letter back to <c>PENDING</c> with <c>retry_count</c> 0, due now. The last error is kept for history.
    /// </summary>
    /// <param name="id">The message ID.</param>
    /// <param name="cancellationToken">Cancels the write.</param>
    /// <returns><see langword="true"/> if a dead letter with that ID was requeued.</returns>
    Task<bool> RequeueDeadLetterAsync(Guid id, CancellationToken cancellationToken = default);

    /// <summary>Moves every dead letter back to <c>PENDING</c> with <c>retry_count</c> 0, due now.</summary>
    /// <param name="cancellationToken">Cancels the write.</param>
    /// <returns>The number of records requeued.</returns>
    Task<int> RequeueAllDeadLettersAsync(CancellationToken cancellationToken = default);

    /// <summary>
    /// Deletes <c>SENT</c> records delivered before <paramref name="sentBefore"/>, in batches of at most
    /// <paramref name="batchSize"/> rows per statement (never one unbounded <c>DELETE</c>), until none is left.
    /// </summary>
    /// <param name="sentBefore">Records with <c>sent_at</c> earlier than this are deleted.</param>
    /// <param name="batchSize">
    /// The maximum number of rows deleted per statement (1 to 2,000, <see cref="Storage.OutboxLimits.MaxPurgeBatchSize"/>:
    /// below SQL Server's lock-escalation threshold). Rows another session has locked are skipped, not waited for.
    /// </param>
    /// <param name="cancellationToken">Cancels between batches.</param>
    /// <returns>The number of records deleted.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="batchSize"/> is not 1 to 2,000.</exception>
    Task<long> PurgeSentAsync(DateTimeOffset sentBefore, int batchSize = 1000, CancellationToken cancellationToken = default);
}

/// <summary>Counts per status and the health of the backlog.</summary>
/// <param name="Pending">Records in <c>PENDING</c>.</param>
/// <param name="Sent">Records in <c>SENT</c>.</param>
/// <param name="Failed">Records in <c>FAILED</c> (waiting for a retry).</param>
/// <param name="DeadLetter">Records in <c>DEAD_LETTER</c>.</param>
/// <param name="Leased">Records in <c>PENDING</c> or <c>FAILED</c> currently leased to a dispatcher.</param>
/// <param name="OldestDueAge">How long the oldest due (<c>PENDING</c>/<c>FAILED</c>, <c>next_attempt_at</c> ≤ now) record has been due, or <see langword="null"/> when none is due.</param>
public sealed record OutboxStatistics(long Pending, long Sent, long Failed, long DeadLetter, long Leased, TimeSpan? OldestDueAge);
