namespace OrderOutbox.Storage;

/// <summary>Turns the counts a store's statistics query reads into <see cref="OutboxStatistics"/>, the same way in every store.</summary>
internal static class StoreStatistics
{
    /// <summary>Builds the statistics from one row of counts.</summary>
    /// <param name="now">The time the query was run for (due and leased are counted against it).</param>
    /// <param name="pending">Records in <c>PENDING</c>.</param>
    /// <param name="failed">Records in <c>FAILED</c>.</param>
    /// <param name="due">Backlog records due now and not leased.</param>
    /// <param name="leased">Backlog records leased now.</param>
    /// <param name="deadLetter">Records in <c>DEAD_LETTER</c>.</param>
    /// <param name="oldestDue">The due time of the oldest due record, or <see langword="null"/> when none is due.</param>
    /// <param name="tableRows">The table's estimated row count, or <see langword="null"/> when the store has no estimate:
    /// <c>SENT</c> is estimated as what the other counts leave of it (never below 0).</param>
    /// <returns>The statistics.</returns>
    public static OutboxStatistics From(
        DateTimeOffset now, long pending, long failed, long due, long leased, long deadLetter, DateTimeOffset? oldestDue, long? tableRows)
        => new()
        {
            Pending = pending,
            Failed = failed,
            Due = due,
            Leased = leased,
            DeadLetter = deadLetter,
            OldestDueAge = oldestDue is { } oldest ? now - oldest : null,
            SentEstimate = tableRows is { } rows ? Math.Max(0, rows - pending - failed - deadLetter) : null,
        };
}
