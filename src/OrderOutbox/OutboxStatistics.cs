namespace OrderOutbox;

/// <summary>
/// The health of the backlog, as <see cref="IOutboxAdmin.GetStatisticsAsync"/> reads it. Every count except
/// <see cref="SentEstimate"/> is exact and comes from the indexes of unfinished records (due records and dead letters),
/// so reading it costs the same with ten or ten million delivered records in the table.
/// </summary>
public sealed record OutboxStatistics
{
    /// <summary>Records in <c>PENDING</c> (never attempted yet, or requeued), due or not.</summary>
    public long Pending { get; init; }

    /// <summary>Records in <c>FAILED</c> (waiting for a retry), due or not.</summary>
    public long Failed { get; init; }

    /// <summary>
    /// The backlog: <c>PENDING</c> or <c>FAILED</c> records that are due now (<c>next_attempt_at</c> ≤ now) and not
    /// leased, so a dispatcher could claim them at once. A number that keeps growing means the dispatchers do not keep up
    /// (or none is running).
    /// </summary>
    public long Due { get; init; }

    /// <summary>Records in <c>PENDING</c> or <c>FAILED</c> currently leased to a dispatcher (being sent now).</summary>
    public long Leased { get; init; }

    /// <summary>Records in <c>DEAD_LETTER</c>: they wait for an operator (requeue or inspection).</summary>
    public long DeadLetter { get; init; }

    /// <summary>
    /// How long the oldest due (<c>PENDING</c>/<c>FAILED</c>, <c>next_attempt_at</c> ≤ now) record has been due,
    /// leased or not; <see langword="null"/> when none is due.
    /// </summary>
    public TimeSpan? OldestDueAge { get; init; }

    /// <summary>
    /// An <b>estimate</b> of the number of <c>SENT</c> records from the database's own statistics, never a count:
    /// PostgreSQL reads the planner's row estimate of the partial index of <c>SENT</c> records (<c>pg_class.reltuples</c>,
    /// refreshed by autovacuum and <c>ANALYZE</c>); SQL Server subtracts the exact counts above from the table's row count
    /// in <c>sys.partitions</c>. <see langword="null"/> when the database has no cheap estimate: always on SQLite, and on
    /// PostgreSQL before the table was first analysed. Use it for a dashboard's order of magnitude, not for arithmetic.
    /// </summary>
    public long? SentEstimate { get; init; }
}
