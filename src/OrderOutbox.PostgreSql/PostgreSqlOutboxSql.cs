using System.Globalization;
using OrderOutbox.Storage;

namespace OrderOutbox.PostgreSql;

/// <summary>
/// Every SQL statement the PostgreSQL store runs, as <c>const</c> templates, and their text for one table.
/// <c>{{schema}}</c>, <c>{{table}}</c> and the index placeholders (the same as in the schema script) are replaced by
/// validated, double-quoted identifiers; values are always parameters, and always positional (<c>$1</c>, <c>$2</c>, …),
/// Npgsql's native style, which it sends without rewriting the text.
/// </summary>
/// <remarks>
/// The status literals are inline on purpose: PostgreSQL uses a partial index only when the query's WHERE implies the
/// index predicate, so the claim's <c>status IN ('PENDING', 'FAILED')</c> is written out exactly as in the due index.
/// Every statement is listed in <see cref="All"/>.
/// </remarks>
internal sealed class PostgreSqlOutboxSql : OutboxStoreSql
{
    /// <summary>The placeholder for the quoted schema name (as in the schema script).</summary>
    internal const string SchemaToken = "{{schema}}";

    /// <summary>The placeholder for the quoted table name (as in the schema script).</summary>
    internal const string TableToken = "{{table}}";

    /// <summary>The placeholder for the per-aggregate claim's dead-letter rule.</summary>
    internal const string DeadLetterRuleToken = "{{dead_letter_rule}}";

    /// <summary>The placeholder for the table's fillfactor in the schema script.</summary>
    internal const string FillFactorToken = "{{fillfactor}}";

    /// <summary>The name of the embedded schema script resource (file <c>Schema/outbox.postgresql.sql</c>).</summary>
    internal const string SchemaResourceName = "OrderOutbox.PostgreSql.Schema.outbox.postgresql.sql";

    /// <summary>The columns read into an <see cref="OutboxMessage"/>, in the order the store reads them.</summary>
    internal const string Columns =
        "id, message_type, aggregate_id, payload, headers, status, retry_count, created_at, next_attempt_at, " +
        "last_attempt_at, sent_at, last_error, locked_by, locked_until, requeued_at";

    /// <summary>
    /// The filter of a replay, its dry run and its listing: $1 message type, $2 aggregate ID, $3/$4 created range,
    /// $5/$6 last-attempt range, $7 text in last_error, $8 explicit IDs; a NULL parameter is no condition. The scan is
    /// driven by the partial index of dead letters (status = 'DEAD_LETTER', by id), never by the SENT history.
    /// </summary>
    internal const string DeadLetterFilter =
        "status = 'DEAD_LETTER' " +
        "AND ($1::text IS NULL OR message_type = $1::text) " +
        "AND ($2::text IS NULL OR aggregate_id = $2::text) " +
        "AND ($3::timestamptz IS NULL OR created_at >= $3::timestamptz) " +
        "AND ($4::timestamptz IS NULL OR created_at < $4::timestamptz) " +
        "AND ($5::timestamptz IS NULL OR last_attempt_at >= $5::timestamptz) " +
        "AND ($6::timestamptz IS NULL OR last_attempt_at < $6::timestamptz) " +
        "AND ($7::text IS NULL OR strpos(last_error, $7::text) > 0) " +
        "AND ($8::uuid[] IS NULL OR id = ANY($8::uuid[]))";

    /// <summary>$1 id, $2 message type, $3 aggregate ID, $4 payload, $5 headers, $6 created (= first due) time.</summary>
    internal const string InsertTemplate =
        "INSERT INTO {{schema}}.{{table}} (id, message_type, aggregate_id, payload, headers, status, retry_count, next_attempt_at, created_at) " +
        "VALUES ($1, $2, $3, $4, $5, 'PENDING', 0, $6, $6)";

    /// <summary>
    /// As <see cref="InsertTemplate"/>, $7 the channel. One statement, one round trip: the row comes from pg_notify's
    /// single (void) row, so the notification is queued with the insert and PostgreSQL delivers it only if the
    /// transaction commits.
    /// </summary>
    internal const string InsertNotifyTemplate =
        "INSERT INTO {{schema}}.{{table}} (id, message_type, aggregate_id, payload, headers, status, retry_count, next_attempt_at, created_at) " +
        "SELECT $1, $2, $3, $4, $5, 'PENDING', 0, $6, $6 FROM pg_notify($7, '')";

    /// <summary>
    /// The bulk enqueue: six typed arrays ($1 id, $2 message type, $3 aggregate ID, $4 payload, $5 headers, $6 created
    /// at) expanded by <c>unnest</c> into rows, in array order; one statement, one round trip for the whole batch.
    /// </summary>
    internal const string InsertManyTemplate =
        "INSERT INTO {{schema}}.{{table}} (id, message_type, aggregate_id, payload, headers, status, retry_count, next_attempt_at, created_at) " +
        "SELECT r.id, r.message_type, r.aggregate_id, r.payload, r.headers, 'PENDING', 0, r.created_at, r.created_at " +
        "FROM unnest($1::uuid[], $2::text[], $3::text[], $4::text[], $5::text[], $6::timestamptz[]) " +
        "AS r(id, message_type, aggregate_id, payload, headers, created_at)";

    /// <summary>
    /// As <see cref="InsertManyTemplate"/>, $7 the channel: the one row of <c>pg_notify($7, '')</c> in a cross join, so a
    /// call queues one notification however many rows it inserts (delivered only on commit), as one single enqueue does.
    /// </summary>
    internal const string InsertManyNotifyTemplate = InsertManyTemplate + " CROSS JOIN pg_notify($7, '') AS n";

    /// <summary>
    /// $1 now, $2 batch size, $3 lease owner, $4 lease end. The inner WHERE repeats the partial index predicate
    /// (status IN ('PENDING', 'FAILED')) literally, so the planner reads only the due-records index, whatever the size of
    /// the SENT history. The UPDATE sets only locked_by and locked_until, which no index holds or filters on, so it is a
    /// HOT update (no index entries) when the row's page has room (the table's fillfactor keeps some).
    /// </summary>
    internal const string ClaimTemplate =
        "WITH due AS MATERIALIZED (" +
        "SELECT d.id FROM {{schema}}.{{table}} AS d " +
        "WHERE d.status IN ('PENDING', 'FAILED') AND d.next_attempt_at <= $1 AND (d.locked_until IS NULL OR d.locked_until <= $1)" +
        " ORDER BY d.next_attempt_at LIMIT $2 FOR UPDATE OF d SKIP LOCKED) " +
        "UPDATE {{schema}}.{{table}} AS o SET locked_by = $3, locked_until = $4 FROM due WHERE o.id = due.id " +
        "RETURNING o.id, o.message_type, o.aggregate_id, o.payload, o.headers, o.status, o.retry_count, o.created_at, " +
        "o.next_attempt_at, o.last_attempt_at, o.sent_at, o.last_error, o.locked_by, o.locked_until, o.requeued_at";

    /// <summary>
    /// As <see cref="ClaimTemplate"/>, per-aggregate ordering: a record is claimable only when no record of its aggregate
    /// with a smaller (time-ordered) ID is unfinished. The NOT EXISTS repeats the aggregate index's predicate (status IN
    /// the three unfinished states), so each check is one probe of that small partial index; <see cref="DeadLetterRuleToken"/>
    /// is empty (dead letters hold their aggregate) or <see cref="ContinueAfterDeadLetterRule"/>.
    /// </summary>
    internal const string ClaimPerAggregateTemplate =
        "WITH due AS MATERIALIZED (" +
        "SELECT d.id FROM {{schema}}.{{table}} AS d " +
        "WHERE d.status IN ('PENDING', 'FAILED') AND d.next_attempt_at <= $1 AND (d.locked_until IS NULL OR d.locked_until <= $1)" +
        " AND (d.aggregate_id IS NULL OR NOT EXISTS (SELECT 1 FROM {{schema}}.{{table}} AS e WHERE e.aggregate_id = d.aggregate_id AND e.id < d.id " +
        "AND e.status IN ('PENDING', 'FAILED', 'DEAD_LETTER'){{dead_letter_rule}}))" +
        " ORDER BY d.next_attempt_at LIMIT $2 FOR UPDATE OF d SKIP LOCKED) " +
        "UPDATE {{schema}}.{{table}} AS o SET locked_by = $3, locked_until = $4 FROM due WHERE o.id = due.id " +
        "RETURNING o.id, o.message_type, o.aggregate_id, o.payload, o.headers, o.status, o.retry_count, o.created_at, " +
        "o.next_attempt_at, o.last_attempt_at, o.sent_at, o.last_error, o.locked_by, o.locked_until, o.requeued_at";

    /// <summary>The dead-letter rule of the per-aggregate claim that lets an aggregate continue after a dead letter.</summary>
    internal const string ContinueAfterDeadLetterRule = " AND e.status <> 'DEAD_LETTER'";

    /// <summary>
    /// $1 ids, $2 lease owners, $3 statuses, $4 retry counts, $5 attempt times, $6 completion times, $7 next attempts,
    /// $8 errors (arrays, one element per outcome); fenced by lease owner; returns the IDs written.
    /// </summary>
    internal const string CompleteTemplate =
        "UPDATE {{schema}}.{{table}} AS t SET status = o.status, retry_count = o.retry_count, last_attempt_at = o.attempted_at, " +
        "sent_at = CASE WHEN o.status = 'SENT' THEN o.completed_at ELSE t.sent_at END, " +
        "next_attempt_at = COALESCE(o.next_attempt_at, t.next_attempt_at), " +
        "last_error = COALESCE(o.last_error, t.last_error), locked_by = NULL, locked_until = NULL " +
        "FROM unnest($1::uuid[], $2::text[], $3::text[], $4::integer[], $5::timestamptz[], $6::timestamptz[], $7::timestamptz[], $8::text[]) " +
        "AS o(id, owner, status, retry_count, attempted_at, completed_at, next_attempt_at, last_error) " +
        "WHERE t.id = o.id AND t.locked_by = o.owner RETURNING t.id";

    /// <summary>$1 ids, $2 lease owners; fenced by lease owner; a lease-only (HOT) update.</summary>
    internal const string ReleaseTemplate =
        "UPDATE {{schema}}.{{table}} AS t SET locked_by = NULL, locked_until = NULL " +
        "FROM unnest($1::uuid[], $2::text[]) AS o(id, owner) WHERE t.id = o.id AND t.locked_by = o.owner";

    /// <summary>$1 id.</summary>
    internal const string GetTemplate = $"SELECT {Columns} FROM {{{{schema}}}}.{{{{table}}}} WHERE id = $1";

    /// <summary>
    /// $1 now, $2 the qualified name of the SENT index. Reads only the partial indexes: the due index (status IN
    /// ('PENDING', 'FAILED'), repeated literally so the planner matches it) and the dead-letter index; SENT is the
    /// planner's row estimate of the partial SENT index.
    /// </summary>
    internal const string StatisticsTemplate =
        "SELECT count(*) FILTER (WHERE status = 'PENDING'), count(*) FILTER (WHERE status = 'FAILED'), " +
        "count(*) FILTER (WHERE next_attempt_at <= $1 AND (locked_until IS NULL OR locked_until <= $1)), " +
        "count(*) FILTER (WHERE locked_until > $1), " +
        "$1 - min(next_attempt_at) FILTER (WHERE next_attempt_at <= $1), " +
        "(SELECT count(*) FROM {{schema}}.{{table}} WHERE status = 'DEAD_LETTER'), " +
        "(SELECT CASE WHEN c.reltuples < 0 THEN NULL ELSE c.reltuples::bigint END FROM pg_catalog.pg_class AS c WHERE c.oid = to_regclass($2)) " +
        "FROM {{schema}}.{{table}} WHERE status IN ('PENDING', 'FAILED')";

    /// <summary>$1 id, $2 now.</summary>
    internal const string RequeueTemplate =
        "UPDATE {{schema}}.{{table}} SET status = 'PENDING', retry_count = 0, next_attempt_at = $2, locked_by = NULL, locked_until = NULL, requeued_at = $2 " +
        "WHERE id = $1 AND status = 'DEAD_LETTER'";

    /// <summary>$1 to $8 as <see cref="DeadLetterFilter"/>.</summary>
    internal const string CountDeadLettersTemplate = $"SELECT count(*) FROM {{{{schema}}}}.{{{{table}}}} WHERE {DeadLetterFilter}";

    /// <summary>$1 to $8 as <see cref="DeadLetterFilter"/>, $9 limit.</summary>
    internal const string ListFilteredDeadLettersTemplate =
        $"SELECT {Columns} FROM {{{{schema}}}}.{{{{table}}}} WHERE {DeadLetterFilter} ORDER BY id LIMIT $9";

    /// <summary>As <see cref="ListFilteredDeadLettersTemplate"/>, $10 the last ID of the previous page.</summary>
    internal const string ListFilteredDeadLettersAfterTemplate =
        $"SELECT {Columns} FROM {{{{schema}}}}.{{{{table}}}} WHERE {DeadLetterFilter} AND id > $10 ORDER BY id LIMIT $9";

    /// <summary>
    /// One batch of a replay: $1 to $8 as <see cref="DeadLetterFilter"/>, $9 batch size, $10 now. One statement, one
    /// short transaction. The outer status check keeps a record that left DEAD_LETTER since the inner SELECT's snapshot
    /// from being requeued.
    /// </summary>
    internal const string ReplayTemplate =
        "UPDATE {{schema}}.{{table}} SET status = 'PENDING', retry_count = 0, next_attempt_at = $10, locked_by = NULL, locked_until = NULL, requeued_at = $10 " +
        "WHERE status = 'DEAD_LETTER' AND id IN (" +
        $"SELECT id FROM {{{{schema}}}}.{{{{table}}}} WHERE {DeadLetterFilter} ORDER BY id LIMIT $9) RETURNING id";

    /// <summary>As <see cref="ReplayTemplate"/>, $11 the last ID of the previous batch.</summary>
    internal const string ReplayAfterTemplate =
        "UPDATE {{schema}}.{{table}} SET status = 'PENDING', retry_count = 0, next_attempt_at = $10, locked_by = NULL, locked_until = NULL, requeued_at = $10 " +
        "WHERE status = 'DEAD_LETTER' AND id IN (" +
        $"SELECT id FROM {{{{schema}}}}.{{{{table}}}} WHERE {DeadLetterFilter} AND id > $11 ORDER BY id LIMIT $9) RETURNING id";

    /// <summary>
    /// One batch of a purge: $1 sent before, $2 batch size. The inner WHERE repeats the sent index's predicate literally,
    /// so the batch is read from that partial index; rows another session holds (an operator's query, a replay) are
    /// skipped, not waited for — the next purge takes them.
    /// </summary>
    internal const string PurgeSentTemplate =
        "WITH batch AS MATERIALIZED (SELECT id FROM {{schema}}.{{table}} " +
        "WHERE status = 'SENT' AND sent_at < $1 ORDER BY sent_at LIMIT $2 FOR UPDATE SKIP LOCKED) " +
        "DELETE FROM {{schema}}.{{table}} AS t USING batch WHERE t.id = batch.id";

    /// <summary>
    /// The schema fast path: $1 the table, $2 to $5 the indexes (qualified, quoted names), $6 the storage parameters
    /// the table must carry. True when every object exists, the 0.2 column is there and the table's reloptions hold
    /// every expected setting — then <c>EnsureSchemaAsync</c> runs no DDL (and needs no CREATE privilege).
    /// </summary>
    internal const string SchemaExistsTemplate =
        "SELECT to_regclass($1) IS NOT NULL AND to_regclass($2) IS NOT NULL AND to_regclass($3) IS NOT NULL AND to_regclass($4) IS NOT NULL " +
        "AND to_regclass($5) IS NOT NULL " +
        "AND EXISTS (SELECT 1 FROM pg_catalog.pg_attribute WHERE attrelid = to_regclass($1) AND attname = 'requeued_at' AND NOT attisdropped) " +
        "AND (SELECT coalesce(c.reloptions, '{}') @> $6::text[] FROM pg_catalog.pg_class AS c WHERE c.oid = to_regclass($1))";

    /// <summary>$1 the lock key: serialises the sessions that create the schema objects of one table.</summary>
    internal const string SchemaLockTemplate = "SELECT pg_advisory_xact_lock($1)";

    /// <summary>$1 the schema name (unquoted).</summary>
    internal const string SchemaNamespaceExistsTemplate = "SELECT EXISTS (SELECT 1 FROM pg_catalog.pg_namespace WHERE nspname = $1)";

    /// <summary>Creates the schema (namespace) when it is missing.</summary>
    internal const string CreateSchemaTemplate = "CREATE SCHEMA IF NOT EXISTS {{schema}}";

    /// <summary>
    /// Sent after a bookkeeping statement (claim, outcomes, release) in the same batch, so their implicit transaction
    /// (which ends at the batch's Sync) commits without waiting for the WAL flush. Local to that transaction: it never
    /// changes the session of a pooled connection. A function call rather than <c>SET LOCAL</c>, which outside an
    /// explicit transaction block would log a warning each time; its one row is read after the statement's own.
    /// </summary>
    internal const string AsynchronousCommitTemplate = "SELECT set_config('synchronous_commit', 'off', true)";

    /// <summary>The storage parameters every outbox table gets besides the fillfactor (see the schema script).</summary>
    internal static readonly string[] AutovacuumSettings =
    [
        "autovacuum_vacuum_scale_factor=0.02",
        "autovacuum_analyze_scale_factor=0.02",
    ];

    /// <summary>Builds the statements for one table; every identifier must already be validated.</summary>
    /// <param name="schema">The schema name, unquoted (matches <see cref="SqlIdentifier.Pattern"/>).</param>
    /// <param name="table">The table name, unquoted (matches <see cref="SqlIdentifier.Pattern"/>).</param>
    /// <param name="indexes">The index names, unquoted, for the script's placeholders.</param>
    /// <param name="fillFactor">The table's fillfactor (10 to 100).</param>
    public PostgreSqlOutboxSql(string schema, string table, PostgreSqlOutboxIndexNames indexes, int fillFactor)
    {
        ArgumentNullException.ThrowIfNull(indexes);
        string qSchema = Quote(schema);
        string qTable = Quote(table);
        Insert = Expand(InsertTemplate, qSchema, qTable);
        InsertNotify = Expand(InsertNotifyTemplate, qSchema, qTable);
        InsertMany = Expand(InsertManyTemplate, qSchema, qTable);
        InsertManyNotify = Expand(InsertManyNotifyTemplate, qSchema, qTable);
        Claim = Expand(ClaimTemplate, qSchema, qTable);
        ClaimPerAggregate = Expand(ClaimPerAggregateTemplate, qSchema, qTable).Replace(DeadLetterRuleToken, "", StringComparison.Ordinal);
        ClaimPerAggregateContinue = Expand(ClaimPerAggregateTemplate, qSchema, qTable)
            .Replace(DeadLetterRuleToken, ContinueAfterDeadLetterRule, StringComparison.Ordinal);
        Complete = Expand(CompleteTemplate, qSchema, qTable);
        Release = Expand(ReleaseTemplate, qSchema, qTable);
        Get = Expand(GetTemplate, qSchema, qTable);
        Statistics = Expand(StatisticsTemplate, qSchema, qTable);
        Requeue = Expand(RequeueTemplate, qSchema, qTable);
        CountDeadLetters = Expand(CountDeadLettersTemplate, qSchema, qTable);
        ListFilteredDeadLetters = Expand(ListFilteredDeadLettersTemplate, qSchema, qTable);
        ListFilteredDeadLettersAfter = Expand(ListFilteredDeadLettersAfterTemplate, qSchema, qTable);
        Replay = Expand(ReplayTemplate, qSchema, qTable);
        ReplayAfter = Expand(ReplayAfterTemplate, qSchema, qTable);
        PurgeSent = Expand(PurgeSentTemplate, qSchema, qTable);
        SchemaExists = SchemaExistsTemplate;
        SchemaLock = SchemaLockTemplate;
        SchemaNamespaceExists = SchemaNamespaceExistsTemplate;
        CreateSchema = Expand(CreateSchemaTemplate, qSchema, qTable);
        AsynchronousCommit = AsynchronousCommitTemplate;
        StorageParameters = [string.Create(CultureInfo.InvariantCulture, $"fillfactor={fillFactor}"), .. AutovacuumSettings];
        Schema = Expand(LoadSchemaScript(), qSchema, qTable)
            .Replace("{{due_index}}", Quote(indexes.Due), StringComparison.Ordinal)
            .Replace("{{dead_index}}", Quote(indexes.DeadLetter), StringComparison.Ordinal)
            .Replace("{{sent_index}}", Quote(indexes.Sent), StringComparison.Ordinal)
            .Replace("{{aggregate_index}}", Quote(indexes.Aggregate), StringComparison.Ordinal)
            .Replace(FillFactorToken, fillFactor.ToString(CultureInfo.InvariantCulture), StringComparison.Ordinal);
        All =
        [
            new(nameof(InsertTemplate), Insert),
            new(nameof(InsertNotifyTemplate), InsertNotify),
            new(nameof(InsertManyTemplate), InsertMany),
            new(nameof(InsertManyNotifyTemplate), InsertManyNotify),
            new(nameof(ClaimTemplate), Claim),
            new(nameof(ClaimPerAggregateTemplate), ClaimPerAggregate),
            new(nameof(ClaimPerAggregateTemplate) + "+" + nameof(ContinueAfterDeadLetterRule), ClaimPerAggregateContinue),
            new(nameof(CompleteTemplate), Complete),
            new(nameof(ReleaseTemplate), Release),
            new(nameof(GetTemplate), Get),
            new(nameof(StatisticsTemplate), Statistics),
            new(nameof(RequeueTemplate), Requeue),
            new(nameof(CountDeadLettersTemplate), CountDeadLetters),
            new(nameof(ListFilteredDeadLettersTemplate), ListFilteredDeadLetters),
            new(nameof(ListFilteredDeadLettersAfterTemplate), ListFilteredDeadLettersAfter),
            new(nameof(ReplayTemplate), Replay),
            new(nameof(ReplayAfterTemplate), ReplayAfter),
            new(nameof(PurgeSentTemplate), PurgeSent),
            new(nameof(SchemaExistsTemplate), SchemaExists),
            new(nameof(SchemaLockTemplate), SchemaLock),
            new(nameof(SchemaNamespaceExistsTemplate), SchemaNamespaceExists),
            new(nameof(CreateSchemaTemplate), CreateSchema),
            new(nameof(AsynchronousCommitTemplate), AsynchronousCommit),
            new(nameof(SchemaResourceName), Schema),
        ];
    }

    /// <summary>Inserts one record and queues its notification.</summary>
    public string InsertNotify { get; }

    /// <summary>Inserts many records from arrays.</summary>
    public string InsertMany { get; }

    /// <summary>Inserts many records from arrays and queues one notification.</summary>
    public string InsertManyNotify { get; }

    /// <summary>Lists the page of dead letters after a given ID.</summary>
    public string ListFilteredDeadLettersAfter { get; }

    /// <summary>Requeues the batch of a replay after a given ID.</summary>
    public string ReplayAfter { get; }

    /// <summary>The schema fast-path check.</summary>
    public string SchemaExists { get; }

    /// <summary>The schema creators' advisory lock.</summary>
    public string SchemaLock { get; }

    /// <summary>Whether the schema (namespace) exists.</summary>
    public string SchemaNamespaceExists { get; }

    /// <summary>Creates the schema (namespace).</summary>
    public string CreateSchema { get; }

    /// <summary>Makes the current (implicit) transaction commit without waiting for the WAL flush.</summary>
    public string AsynchronousCommit { get; }

    /// <summary>The table's storage parameters as PostgreSQL lists them in <c>pg_class.reloptions</c> (the fast path's $6).</summary>
    public IReadOnlyList<string> StorageParameters { get; }

    /// <summary>Every statement the store executes, keyed by the template (or resource) it comes from.</summary>
    public IReadOnlyList<KeyValuePair<string, string>> All { get; }

    /// <summary>The schema script as shipped (with its placeholders).</summary>
    /// <returns>The script text.</returns>
    internal static string LoadSchemaScript() => EmbeddedSchemaScript.Read(typeof(PostgreSqlOutboxSql).Assembly, SchemaResourceName);

    private static string Quote(string validatedIdentifier) => "\"" + validatedIdentifier + "\"";

    private static string Expand(string template, string quotedSchema, string quotedTable)
        => template.Replace(SchemaToken, quotedSchema, StringComparison.Ordinal).Replace(TableToken, quotedTable, StringComparison.Ordinal);
}

/// <summary>The names (unquoted) of the outbox table's indexes.</summary>
internal sealed record PostgreSqlOutboxIndexNames(string Due, string DeadLetter, string Sent, string Aggregate);
