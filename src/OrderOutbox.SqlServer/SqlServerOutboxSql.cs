using System.Globalization;
using OrderOutbox.Storage;

namespace OrderOutbox.SqlServer;

/// <summary>
/// Every T-SQL statement the SQL Server store runs, as <c>const</c> templates, and their text for one table.
/// <c>$(OutboxSchema)</c> and <c>$(OutboxTable)</c> (sqlcmd-style variables, as in the schema script) are replaced
/// by validated identifiers, quoted with brackets in the templates; values are always parameters.
/// </summary>
/// <remarks>
/// The status literals are inline on purpose: SQL Server matches a query to a filtered index only when the query's
/// predicate on the filter column uses the same constants, never a parameter, so the claim's
/// <c>status IN ('PENDING', 'FAILED')</c> must be written out to read <c>IX_&lt;table&gt;_due</c>.
/// Every statement is listed in <see cref="All"/>, which the script-parsing test enumerates.
/// </remarks>
internal sealed class SqlServerOutboxSql : OutboxStoreSql
{
    /// <summary>The placeholder for the schema name.</summary>
    internal const string SchemaToken = "$(OutboxSchema)";

    /// <summary>The placeholder for the table name.</summary>
    internal const string TableToken = "$(OutboxTable)";

    /// <summary>The columns read into an <see cref="OutboxMessage"/>, in the order the store reads them.</summary>
    internal const string Columns =
        "id, message_type, aggregate_id, payload, headers, status, retry_count, created_at, " +
        "next_attempt_at, last_attempt_at, sent_at, last_error, locked_by, locked_until, requeued_at";

    /// <summary>The <see cref="Columns"/> of the rows an <c>UPDATE</c> changed.</summary>
    internal const string InsertedColumns =
        "inserted.id, inserted.message_type, inserted.aggregate_id, inserted.payload, inserted.headers, " +
        "inserted.status, inserted.retry_count, inserted.created_at, inserted.next_attempt_at, " +
        "inserted.last_attempt_at, inserted.sent_at, inserted.last_error, inserted.locked_by, inserted.locked_until, inserted.requeued_at";

    /// <summary>
    /// The filter of a replay, its dry run and its listing; a NULL parameter is no condition. Text is compared exactly
    /// (binary collation), whatever the database's collation; the IDs come as a JSON array. The statements that use it
    /// end with <c>OPTION (RECOMPILE)</c>, so each plan is made for the conditions actually set.
    /// </summary>
    internal const string DeadLetterFilter =
        """
        status = 'DEAD_LETTER'
          AND (@message_type IS NULL OR message_type = @message_type COLLATE Latin1_General_BIN2)
          AND (@aggregate_id IS NULL OR aggregate_id = @aggregate_id COLLATE Latin1_General_BIN2)
          AND (@created_from IS NULL OR created_at >= @created_from)
          AND (@created_before IS NULL OR created_at < @created_before)
          AND (@attempt_from IS NULL OR last_attempt_at >= @attempt_from)
          AND (@attempt_before IS NULL OR last_attempt_at < @attempt_before)
          AND (@error_text IS NULL OR CHARINDEX(@error_text COLLATE Latin1_General_BIN2, last_error COLLATE Latin1_General_BIN2) > 0)
          AND (@ids IS NULL OR id IN (SELECT CAST(j.[value] AS uniqueidentifier) FROM OPENJSON(@ids) AS j))
        """;

    /// <summary>
    /// The sort key of IDs in .NET <see cref="Guid"/> order (= UUIDv7 time order = PostgreSQL's and SQLite's):
    /// SQL Server's own <c>uniqueidentifier</c> order compares the last six bytes first, so dead letters are
    /// ordered and paged by the canonical text instead, with a binary collation.
    /// </summary>
    internal const string IdSortKey = "CONVERT(char(36), id) COLLATE Latin1_General_BIN2";

    internal const string InsertTemplate =
        """
        INSERT INTO [$(OutboxSchema)].[$(OutboxTable)]
            (id, message_type, aggregate_id, payload, headers, status, retry_count, next_attempt_at, created_at)
        VALUES (@id, @message_type, @aggregate_id, @payload, @headers, 'PENDING', 0, @created_at, @created_at);
        """;

    /// <summary>
    /// Inserts a batch of records from a JSON array (<c>@entries</c>, written by the store). <c>ORDER BY</c> the array index
    /// makes the identity <c>seq</c> follow the input order, so per-aggregate ordering sees the records in the order given.
    /// </summary>
    internal const string InsertManyTemplate =
        """
        INSERT INTO [$(OutboxSchema)].[$(OutboxTable)]
            (id, message_type, aggregate_id, payload, headers, status, retry_count, next_attempt_at, created_at)
        SELECT r.id, r.message_type, r.aggregate_id, r.payload, r.headers, 'PENDING', 0, r.created_at, r.created_at
        FROM OPENJSON(@entries) AS j
        CROSS APPLY OPENJSON(j.[value]) WITH (
            id           uniqueidentifier  '$.id',
            message_type nvarchar(200)     '$.type',
            aggregate_id nvarchar(450)     '$.aggregate',
            payload      nvarchar(max)     '$.payload',
            headers      nvarchar(max)     '$.headers',
            created_at   datetimeoffset(7) '$.created'
        ) AS r
        ORDER BY CAST(j.[key] AS int);
        """;

    internal const string ClaimTemplate =
        $"""
        WITH due AS (
            SELECT TOP (@batch_size) {Columns}
            FROM [$(OutboxSchema)].[$(OutboxTable)] WITH (UPDLOCK, READPAST, ROWLOCK, READCOMMITTEDLOCK)
            WHERE status IN ('PENDING', 'FAILED')
              AND next_attempt_at <= @now
              AND (locked_until IS NULL OR locked_until <= @now)
            ORDER BY next_attempt_at
        )
        UPDATE due
        SET locked_by = @lease_owner, locked_until = @lease_until
        OUTPUT {InsertedColumns};
        """;

    /// <summary>
    /// The per-aggregate claim: as <see cref="ClaimTemplate"/>, and a record with an aggregate ID only when no record of
    /// its aggregate inserted before it (smaller <c>seq</c>, the ever-increasing clustered key) is unfinished. The inner
    /// read takes no READPAST: a row another claim holds must block, not vanish. Its
    /// <c>status IN ('PENDING', 'FAILED', 'DEAD_LETTER')</c> matches <c>IX_&lt;table&gt;_aggregate</c>'s filter;
    /// the continue variant filters dead letters out after the seek.
    /// </summary>
    internal const string ClaimPerAggregateTemplate = ClaimPerAggregateHead + ClaimPerAggregateTail;

    /// <summary>As <see cref="ClaimPerAggregateTemplate"/>, but a dead letter does not hold the records after it.</summary>
    internal const string ClaimPerAggregateContinueTemplate = ClaimPerAggregateHead + " AND e.status <> 'DEAD_LETTER'" + ClaimPerAggregateTail;

    private const string ClaimPerAggregateHead =
        $"""
        WITH due AS (
            SELECT TOP (@batch_size) {Columns}
            FROM [$(OutboxSchema)].[$(OutboxTable)] AS d WITH (UPDLOCK, READPAST, ROWLOCK, READCOMMITTEDLOCK)
            WHERE status IN ('PENDING', 'FAILED')
              AND next_attempt_at <= @now
              AND (locked_until IS NULL OR locked_until <= @now)
              AND (d.aggregate_id IS NULL OR NOT EXISTS (
                  SELECT 1 FROM [$(OutboxSchema)].[$(OutboxTable)] AS e WITH (READCOMMITTEDLOCK)
                  WHERE e.aggregate_id = d.aggregate_id AND e.seq < d.seq
                    AND e.status IN ('PENDING', 'FAILED', 'DEAD_LETTER')
        """;

    private const string ClaimPerAggregateTail =
        $"""
        ))
            ORDER BY next_attempt_at
        )
        UPDATE due
        SET locked_by = @lease_owner, locked_until = @lease_until
        OUTPUT {InsertedColumns};
        """;

    /// <summary>
    /// Writes a batch of outcomes (a JSON array), fenced by the lease owner — compared exactly: a binary collation, and
    /// equal lengths since SQL Server ignores trailing spaces in <c>=</c>; <c>OUTPUT inserted.id</c> lists the accepted
    /// ones. <c>sent_at</c>, <c>next_attempt_at</c> and <c>last_error</c> are kept when an outcome has none (a success
    /// keeps the last failure's text for history).
    /// </summary>
    internal const string CompleteTemplate =
        """
        UPDATE t
        SET status = o.status,
            retry_count = o.retry_count,
            last_attempt_at = o.attempted_at,
            sent_at = COALESCE(o.sent_at, t.sent_at),
            next_attempt_at = COALESCE(o.next_attempt_at, t.next_attempt_at),
            last_error = COALESCE(o.last_error, t.last_error),
            locked_by = NULL,
            locked_until = NULL
        OUTPUT inserted.id
        FROM [$(OutboxSchema)].[$(OutboxTable)] AS t
        INNER JOIN OPENJSON(@outcomes) WITH (
            id              uniqueidentifier  '$.id',
            lease_owner     nvarchar(256)     '$.owner',
            status          varchar(16)       '$.status',
            retry_count     int               '$.retry',
            attempted_at    datetimeoffset(7) '$.attempted',
            sent_at         datetimeoffset(7) '$.sent',
            next_attempt_at datetimeoffset(7) '$.next',
            last_error      nvarchar(max)     '$.error'
        ) AS o
            ON t.id = o.id AND t.locked_by = o.lease_owner COLLATE Latin1_General_BIN2
               AND DATALENGTH(t.locked_by) = DATALENGTH(o.lease_owner);
        """;

    internal const string ReleaseTemplate =
        """
        UPDATE t
        SET locked_by = NULL, locked_until = NULL
        FROM [$(OutboxSchema)].[$(OutboxTable)] AS t
        INNER JOIN OPENJSON(@leases) WITH (
            id          uniqueidentifier '$.id',
            lease_owner nvarchar(256)    '$.owner'
        ) AS r
            ON t.id = r.id AND t.locked_by = r.lease_owner COLLATE Latin1_General_BIN2
               AND DATALENGTH(t.locked_by) = DATALENGTH(r.lease_owner);
        """;

    /// <summary>
    /// Counts over the filtered indexes (due records, dead letters: their WHERE repeats each filter with literals) and
    /// the table's row count from <c>sys.partitions</c> (catalog metadata, no scan), from which the store estimates SENT.
    /// </summary>
    internal const string StatisticsTemplate =
        """
        SELECT
            ISNULL(SUM(CASE WHEN d.status = 'PENDING' THEN CAST(1 AS bigint) ELSE 0 END), 0) AS pending,
            ISNULL(SUM(CASE WHEN d.status = 'FAILED' THEN CAST(1 AS bigint) ELSE 0 END), 0) AS failed,
            ISNULL(SUM(CASE WHEN d.next_attempt_at <= @now AND (d.locked_until IS NULL OR d.locked_until <= @now) THEN CAST(1 AS bigint) ELSE 0 END), 0) AS due,
            ISNULL(SUM(CASE WHEN d.locked_until > @now THEN CAST(1 AS bigint) ELSE 0 END), 0) AS leased,
            MIN(CASE WHEN d.next_attempt_at <= @now THEN d.next_attempt_at END) AS oldest_due,
            (SELECT COUNT_BIG(*) FROM [$(OutboxSchema)].[$(OutboxTable)] AS x WHERE x.status = 'DEAD_LETTER') AS dead_letter,
            (SELECT SUM(p.[rows]) FROM sys.partitions AS p
             WHERE p.[object_id] = OBJECT_ID(N'[$(OutboxSchema)].[$(OutboxTable)]') AND p.index_id IN (0, 1)) AS table_rows
        FROM [$(OutboxSchema)].[$(OutboxTable)] AS d
        WHERE d.status IN ('PENDING', 'FAILED');
        """;

    internal const string GetTemplate =
        $"""
        SELECT {Columns} FROM [$(OutboxSchema)].[$(OutboxTable)] WHERE id = @id;
        """;

    internal const string RequeueTemplate =
        """
        UPDATE [$(OutboxSchema)].[$(OutboxTable)]
        SET status = 'PENDING', retry_count = 0, next_attempt_at = @now, locked_by = NULL, locked_until = NULL, requeued_at = @now
        WHERE id = @id AND status = 'DEAD_LETTER';
        """;

    internal const string CountDeadLettersTemplate =
        $"""
        SELECT COUNT_BIG(*) FROM [$(OutboxSchema)].[$(OutboxTable)]
        WHERE {DeadLetterFilter}
        OPTION (RECOMPILE);
        """;

    internal const string ListFilteredDeadLettersTemplate =
        $"""
        SELECT TOP (@limit) {Columns}
        FROM [$(OutboxSchema)].[$(OutboxTable)]
        WHERE {DeadLetterFilter}
          AND (@after IS NULL OR {IdSortKey} > @after)
        ORDER BY {IdSortKey}
        OPTION (RECOMPILE);
        """;

    /// <summary>
    /// One batch of a replay. Rows leave the filtered dead-letter index as they are requeued, so no ordering or keyset
    /// is needed; <c>@started</c> (the replay's start) keeps a record that this replay requeued and that was
    /// dead-lettered again meanwhile from being requeued twice.
    /// </summary>
    internal const string ReplayTemplate =
        $"""
        UPDATE TOP (@limit) [$(OutboxSchema)].[$(OutboxTable)]
        SET status = 'PENDING', retry_count = 0, next_attempt_at = @now, locked_by = NULL, locked_until = NULL, requeued_at = @now
        OUTPUT inserted.id
        WHERE {DeadLetterFilter}
          AND (requeued_at IS NULL OR requeued_at < @started)
        OPTION (RECOMPILE);
        """;

    /// <summary>
    /// Deletes one batch of old <c>SENT</c> rows, oldest delivery first, read from the filtered index
    /// <c>IX_&lt;table&gt;_sent</c> (the WHERE repeats its filter literally). Rows locked by another session are skipped
    /// (<c>READPAST</c>, with <c>READCOMMITTEDLOCK</c> so that works under read-committed snapshot too), and the batch
    /// is at most <see cref="Storage.OutboxLimits.MaxPurgeBatchSize"/> rows, so the statement never escalates to a
    /// table lock.
    /// </summary>
    internal const string PurgeSentTemplate =
        """
        WITH batch AS (
            SELECT TOP (@batch_size) seq
            FROM [$(OutboxSchema)].[$(OutboxTable)] WITH (ROWLOCK, READPAST, READCOMMITTEDLOCK)
            WHERE status = 'SENT' AND sent_at < @sent_before
            ORDER BY sent_at
        )
        DELETE FROM batch;
        """;

    /// <summary>The name of the embedded schema script resource (file <c>Schema/outbox.sqlserver.sql</c>).</summary>
    internal const string SchemaResourceName = "OrderOutbox.SqlServer.Schema.outbox.sqlserver.sql";

    /// <summary>Builds the statements for one table; both names must already be validated.</summary>
    /// <param name="schema">A schema name that matches <see cref="Storage.SqlIdentifier.Pattern"/>.</param>
    /// <param name="table">A table name that matches <see cref="Storage.SqlIdentifier.Pattern"/>.</param>
    /// <param name="commandTimeout">The store's command timeout; the schema lock gives up before it (<see cref="SchemaLockTimeout"/>).</param>
    public SqlServerOutboxSql(string schema, string table, TimeSpan commandTimeout)
    {
        Insert = Expand(InsertTemplate, schema, table);
        InsertMany = Expand(InsertManyTemplate, schema, table);
        Claim = Expand(ClaimTemplate, schema, table);
        ClaimPerAggregate = Expand(ClaimPerAggregateTemplate, schema, table);
        ClaimPerAggregateContinue = Expand(ClaimPerAggregateContinueTemplate, schema, table);
        Complete = Expand(CompleteTemplate, schema, table);
        Release = Expand(ReleaseTemplate, schema, table);
        Statistics = Expand(StatisticsTemplate, schema, table);
        Get = Expand(GetTemplate, schema, table);
        Requeue = Expand(RequeueTemplate, schema, table);
        CountDeadLetters = Expand(CountDeadLettersTemplate, schema, table);
        ListFilteredDeadLetters = Expand(ListFilteredDeadLettersTemplate, schema, table);
        Replay = Expand(ReplayTemplate, schema, table);
        PurgeSent = Expand(PurgeSentTemplate, schema, table);
        // SET takes no parameters; the value is an integer computed from a validated TimeSpan, never user text.
        Schema = string.Create(CultureInfo.InvariantCulture, $"SET LOCK_TIMEOUT {(long)SchemaLockTimeout(commandTimeout).TotalMilliseconds};\n")
                 + Expand(LoadSchemaScript(), schema, table);
        All =
        [
            new(nameof(InsertTemplate), Insert),
            new(nameof(InsertManyTemplate), InsertMany),
            new(nameof(ClaimTemplate), Claim),
            new(nameof(ClaimPerAggregateTemplate), ClaimPerAggregate),
            new(nameof(ClaimPerAggregateContinueTemplate), ClaimPerAggregateContinue),
            new(nameof(CompleteTemplate), Complete),
            new(nameof(ReleaseTemplate), Release),
            new(nameof(StatisticsTemplate), Statistics),
            new(nameof(GetTemplate), Get),
            new(nameof(RequeueTemplate), Requeue),
            new(nameof(CountDeadLettersTemplate), CountDeadLetters),
            new(nameof(ListFilteredDeadLettersTemplate), ListFilteredDeadLetters),
            new(nameof(ReplayTemplate), Replay),
            new(nameof(PurgeSentTemplate), PurgeSent),
            new(nameof(SchemaResourceName), Schema),
        ];
    }

    /// <summary>Inserts a batch of records from a JSON array.</summary>
    public string InsertMany { get; }

    /// <summary>Every statement the store executes, keyed by the template (or resource) it comes from.</summary>
    public IReadOnlyList<KeyValuePair<string, string>> All { get; }

    /// <summary>
    /// How long <c>EnsureSchemaAsync</c> waits for the schema application lock (and for any lock its DDL needs): four
    /// fifths of the command timeout, so the wait ends with the lock's own error message rather than a bare command
    /// timeout, and the rest is left for the DDL itself.
    /// </summary>
    /// <param name="commandTimeout">The store's command timeout (1 second to 1 hour).</param>
    /// <returns>The lock timeout, whole milliseconds.</returns>
    internal static TimeSpan SchemaLockTimeout(TimeSpan commandTimeout)
        => TimeSpan.FromMilliseconds(Math.Floor(commandTimeout.TotalMilliseconds * 4 / 5));

    /// <summary>Reads the embedded schema script with its placeholders.</summary>
    /// <returns>The script text.</returns>
    internal static string LoadSchemaScript()
        => EmbeddedSchemaScript.Read(typeof(SqlServerOutboxSql).Assembly, SchemaResourceName);

    private static string Expand(string template, string schema, string table)
        => template.Replace(SchemaToken, schema, StringComparison.Ordinal).Replace(TableToken, table, StringComparison.Ordinal);
}
