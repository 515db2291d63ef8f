namespace OrderOutbox;

/// <summary>
/// Operations on the outbox for people and tooling: backlog health, dead letters, requeue and purge.
/// Implemented by each store package and registered by its <c>Use…</c> method.
/// </summary>
public interface IOutboxAdmin
{
    /// <summary>
    /// Counts the backlog (<c>PENDING</c>, <c>FAILED</c>, due now, leased now), the dead letters and the age of the oldest
    /// due record, reading only the indexes of unfinished records, so the call stays cheap however many <c>SENT</c>
    /// records the table keeps. The number of <c>SENT</c> records is an estimate from the database's statistics, or
    /// <see langword="null"/> where the database has none (see <see cref="OutboxStatistics.SentEstimate"/>).
    /// </summary>
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
    /// Moves one dead letter back to <c>PENDING</c> with <c>retry_count</c> 0, due now, and records when
    /// (<see cref="OutboxMessage.RequeuedAt"/>). The last error is kept for history.
    /// </summary>
    /// <param name="id">The message ID.</param>
    /// <param name="cancellationToken">Cancels the write.</param>
    /// <returns><see langword="true"/> if a dead letter with that ID was requeued.</returns>
    Task<bool> RequeueDeadLetterAsync(Guid id, CancellationToken cancellationToken = default);

    /// <summary>
    /// Moves every dead letter back to <c>PENDING</c> with <c>retry_count</c> 0, due now, in batches of 1,000 records
    /// (each batch its own short transaction). The same as <see cref="RequeueDeadLettersAsync"/> with
    /// <see cref="DeadLetterFilter.All"/>.
    /// </summary>
    /// <param name="cancellationToken">Cancels between batches; batches already written stay requeued.</param>
    /// <returns>The number of records requeued.</returns>
    Task<int> RequeueAllDeadLettersAsync(CancellationToken cancellationToken = default);

    /// <summary>
    /// Counts the dead letters that match <paramref name="filter"/>: the dry run of
    /// <see cref="RequeueDeadLettersAsync"/>. Nothing is changed.
    /// </summary>
    /// <param name="filter">The dead letters to count (every condition that is set must hold).</param>
    /// <param name="cancellationToken">Cancels the query.</param>
    /// <returns>The number of dead letters that match now.</returns>
    /// <exception cref="ArgumentException"><paramref name="filter"/> is not valid (the message names the field, its value and the allowed range).</exception>
    Task<long> CountDeadLettersAsync(DeadLetterFilter filter, CancellationToken cancellationToken = default);

    /// <summary>
    /// Lists the dead letters that match <paramref name="filter"/> in ID order (oldest first), one page at a time
    /// (keyset paging), so an operator can look at what a replay would send before running it.
    /// </summary>
    /// <param name="filter">The dead letters to list (every condition that is set must hold).</param>
    /// <param name="limit">The page size (1 to 1000).</param>
    /// <param name="after">The last ID of the previous page, or <see langword="null"/> for the first page.</param>
    /// <param name="cancellationToken">Cancels the query.</param>
    /// <returns>Up to <paramref name="limit"/> matching dead letters with IDs greater than <paramref name="after"/>.</returns>
    /// <exception cref="ArgumentException"><paramref name="filter"/> is not valid.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="limit"/> is outside 1 to 1000.</exception>
    Task<IReadOnlyList<OutboxMessage>> ListDeadLettersAsync(DeadLetterFilter filter, int limit = 100, Guid? after = null, CancellationToken cancellationToken = default);

    /// <summary>
    /// Replays dead letters: moves those that match <paramref name="filter"/> back to <c>PENDING</c> with
    /// <c>retry_count</c> 0, due now, and records when (<see cref="OutboxMessage.RequeuedAt"/>); the last error is kept.
    /// Works in batches of at most <paramref name="batchSize"/> records in ID order, each batch one short statement
    /// and transaction, so a replay of millions of records never holds one long transaction or lock. A record that is
    /// not a dead letter, or does not match every condition of the filter, is never touched.
    /// </summary>
    /// <param name="filter">The dead letters to requeue; <see cref="DeadLetterFilter.All"/> for every dead letter.</param>
    /// <param name="batchSize">The maximum number of records per batch (1 to 2,000); default 1,000.</param>
    /// <param name="progress">Told the running total after each batch, or <see langword="null"/>.</param>
    /// <param name="cancellationToken">Cancels between batches; batches already written stay requeued.</param>
    /// <returns>The number of records requeued.</returns>
    /// <exception cref="ArgumentException"><paramref name="filter"/> is not valid (the message names the field, its value and the allowed range).</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="batchSize"/> is outside 1 to 2,000.</exception>
    Task<long> RequeueDeadLettersAsync(
        DeadLetterFilter filter,
        int batchSize = DeadLetterFilter.DefaultBatchSize,
        IProgress<long>? progress = null,
        CancellationToken cancellationToken = default);

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
