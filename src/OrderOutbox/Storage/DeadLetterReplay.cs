using System.Globalization;

namespace OrderOutbox.Storage;

/// <summary>
/// The batch loop of a dead-letter replay, shared by the stores (for store implementers): each batch requeues up to
/// the batch size of matching dead letters with IDs greater than the last one of the previous batch (keyset), so no
/// batch rescans what the earlier ones did and none holds a long transaction.
/// </summary>
public static class DeadLetterReplay
{
    /// <summary>The largest page of a dead-letter listing: 1000 records.</summary>
    public const int MaxPageSize = 1000;

    /// <summary>Checks the arguments of <see cref="IOutboxAdmin.RequeueDeadLettersAsync"/> before any SQL runs.</summary>
    /// <param name="filter">The filter.</param>
    /// <param name="batchSize">The batch size.</param>
    /// <exception cref="ArgumentNullException"><paramref name="filter"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException">The filter is not valid.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="batchSize"/> is outside 1 to <see cref="DeadLetterFilter.MaxBatchSize"/>.</exception>
    public static void Validate(DeadLetterFilter filter, int batchSize)
    {
        ValidateFilter(filter);
        if (batchSize is < 1 or > DeadLetterFilter.MaxBatchSize)
        {
            throw new ArgumentOutOfRangeException(
                nameof(batchSize),
                batchSize,
                string.Create(CultureInfo.InvariantCulture, $"batchSize is {batchSize}; allowed: 1 to {DeadLetterFilter.MaxBatchSize:N0} records per batch."));
        }
    }

    /// <summary>Checks the filter of a count or listing before any SQL runs.</summary>
    /// <param name="filter">The filter.</param>
    /// <exception cref="ArgumentNullException"><paramref name="filter"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException">The filter is not valid.</exception>
    public static void ValidateFilter(DeadLetterFilter filter)
    {
        ArgumentNullException.ThrowIfNull(filter);
        filter.Validate(nameof(filter));
    }

    /// <summary>Checks the arguments of a dead-letter listing (<see cref="IOutboxAdmin.ListDeadLettersAsync(DeadLetterFilter, int, Guid?, CancellationToken)"/>).</summary>
    /// <param name="filter">The filter.</param>
    /// <param name="limit">The page size.</param>
    /// <exception cref="ArgumentException">The filter is not valid.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="limit"/> is outside 1 to 1000.</exception>
    public static void ValidateListing(DeadLetterFilter filter, int limit)
    {
        ValidateFilter(filter);
        if (limit is < 1 or > MaxPageSize)
        {
            throw new ArgumentOutOfRangeException(
                nameof(limit), limit, string.Create(CultureInfo.InvariantCulture, $"limit is {limit}; allowed: 1 to {MaxPageSize} records per page."));
        }
    }

    /// <summary>
    /// Runs batches until one requeues nothing, reporting the running total after each (a batch that comes back short
    /// is not taken as the end: a record in it may have left <c>DEAD_LETTER</c> meanwhile, and later ones still match).
    /// Cancellation is checked between batches.
    /// </summary>
    /// <param name="progress">Told the running total after each batch, or <see langword="null"/>.</param>
    /// <param name="requeueBatch">
    /// Requeues one batch in ID order: the matching dead letters with IDs greater than its first argument
    /// (<see langword="null"/> for the first batch), and returns the IDs it requeued.
    /// </param>
    /// <param name="cancellationToken">Cancels between batches.</param>
    /// <returns>The number of records requeued.</returns>
    public static async Task<long> RunAsync(
        IProgress<long>? progress,
        Func<Guid?, CancellationToken, Task<IReadOnlyCollection<Guid>>> requeueBatch,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(requeueBatch);
        long total = 0;
        Guid? after = null;
        while (true)
        {
            cancellationToken.ThrowIfCancellationRequested();
            IReadOnlyCollection<Guid> requeued = await requeueBatch(after, cancellationToken).ConfigureAwait(false);
            if (requeued.Count == 0)
            {
                return total;
            }

            total += requeued.Count;
            after = requeued.Max();
            progress?.Report(total);
        }
    }

    /// <summary>The result of <see cref="IOutboxAdmin.RequeueAllDeadLettersAsync"/> from a replay's total.</summary>
    /// <param name="total">The number of records requeued.</param>
    /// <returns>The total, capped at <see cref="int.MaxValue"/>.</returns>
    public static int ToInt32(long total) => total > int.MaxValue ? int.MaxValue : (int)total;
}
