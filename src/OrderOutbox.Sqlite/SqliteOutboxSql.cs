using System.Globalization;
using OrderOutbox.Storage;

namespace OrderOutbox.Sqlite;

/// <summary>
/// Every SQL statement the SQLite store runs, as <c>const</c> templates, and their text for one table.
/// <c>$(OutboxTable)</c> is replaced by the validated table name (quoted with double quotes in the templates);
/// values are always parameters. The status literals are written inline on purpose: the claim's
/// <c>status IN ('PENDING', 'FAILED')</c> must match the partial index's WHERE clause for SQLite to use it.
/// </summary>
internal sealed class SqliteOutboxSql : OutboxStoreSql
{
    /// <summary>The placeholder for the table name in the templates and in the schema script.</summary>
    internal const string TableToken = "$(OutboxTable)";

    /// <summary>The columns read into an <see cref="OutboxMessage"/>, in the order <see cref="SqliteOutboxStore"/> reads them.</summary>
    internal const string Columns =
        "id, message_type, aggregate_id, payload, headers, status, retry_count, created_at, " +
        "next_attempt_at, last_attempt_at, sent_at, last_error, locked_by, locked_until, requeued_at";

    /// <summary>
    /// The filter of a replay, its dry run and its listing; a NULL parameter is no condition. <c>=</c> and <c>instr</c>
    /// compare text exactly (BINARY collation); the IDs come as a JSON array of canonical UUID text.
    /// </summary>
    internal const string DeadLetterFilter =
        """
        status = 'DEAD_LETTER'
          AND (@message_type IS NULL OR message_type = @message_type)
          AND (@aggregate_id IS NULL OR aggregate_id = @aggregate_id)
          AND (@created_from IS NULL OR created_at >= @created_from)
          AND (@created_before IS NULL OR created_at < @created_before)
          AND (@attempt_from IS NULL OR last_attempt_at >= @attempt_from)
          AND (@attempt_before IS NULL OR last_attempt_at < @attempt_before)
          AND (@error_text IS NULL OR instr(last_error, @error_text) > 0)
          AND (@ids IS NULL OR id IN (SELECT value FROM json_each(@ids)))
          AND (@after IS NULL OR id > @after)
        """;

    internal const string InsertTemplate =
        """
        INSERT INTO "$(OutboxTable)" (id, message_type, aggregate_id, payload, headers, status, retry_count, next_attempt_at, created_at)
        VALUES (@id, @message_type, @aggregate_id, @payload, @headers, 'PENDING', 0, @created_at, @created_at)
        """;

    /// <summary>
    /// The head of a bulk insert; <see cref="InsertManyRowTemplate"/> follows once per row, <c>{0}</c> replaced by the
    /// row's number in the statement (parameters <c>@i0</c>, <c>@t0</c>, … of row 0).
    /// </summary>
    internal const string InsertManyHeadTemplate =
        """
        INSERT INTO "$(OutboxTable)" (id, message_type, aggregate_id, payload, headers, status, retry_count, next_attempt_at, created_at)
        VALUES
        """;

    /// <summary>One row of a bulk insert (<see cref="InsertManyHeadTemplate"/>).</summary>
    internal const string InsertManyRowTemplate = "(@i{0}, @t{0}, @a{0}, @p{0}, @h{0}, 'PENDING', 0, @c{0}, @c{0})";

    /// <summary>
    /// Rows per bulk insert statement: 6 parameters a row keep a full statement at 600 parameters, under the 999 that
    /// SQLite builds before 3.32 allow.
    /// </summary>
    internal const int InsertManyRows = 100;

    internal const string ClaimTemplate =
        $"""
        UPDATE "$(OutboxTable)"
        SET locked_by = @lease_owner, locked_until = @lease_until
        WHERE rowid IN (
            SELECT rowid FROM "$(OutboxTable)"
            WHERE status IN ('PENDING', 'FAILED')
              AND next_attempt_at <= @now
              AND (locked_until IS NULL OR locked_until <= @now)
            ORDER BY next_attempt_at
            LIMIT @batch_size)
        RETURNING {Columns}
        """;

    /// <summary>
    /// The per-aggregate claim: as <see cref="ClaimTemplate"/>, and a record with an aggregate ID only when no record of
    /// its aggregate with a smaller ID (text order = UUIDv7 time order) is unfinished. The inner
    /// <c>status IN ('PENDING', 'FAILED', 'DEAD_LETTER')</c> matches the aggregate index's WHERE word for word;
    /// <c>$(DeadLetterRule)</c> is empty (dead letters hold) or filters dead letters out after the index probe (continue).
    /// </summary>
    internal const string ClaimPerAggregateTemplate =
        $"""
        UPDATE "$(OutboxTable)"
        SET locked_by = @lease_owner, locked_until = @lease_until
        WHERE rowid IN (
            SELECT d.rowid FROM "$(OutboxTable)" AS d
            WHERE status IN ('PENDING', 'FAILED')
              AND next_attempt_at <= @now
              AND (locked_until IS NULL OR locked_until <= @now)
              AND (d.aggregate_id IS NULL OR NOT EXISTS (
                  SELECT 1 FROM "$(OutboxTable)" AS e
                  WHERE e.aggregate_id = d.aggregate_id AND e.id < d.id
                    AND e.status IN ('PENDING', 'FAILED', 'DEAD_LETTER')$(DeadLetterRule)))
            ORDER BY next_attempt_at
            LIMIT @batch_size)
        RETURNING {Columns}
        """;

    /// <summary>The placeholder of <see cref="ClaimPerAggregateTemplate"/> for the dead-letter rule.</summary>
    internal const string DeadLetterRuleToken = "$(DeadLetterRule)";

    /// <summary>The dead-letter rule of <see cref="ClaimPerAggregateTemplate"/> when a dead letter does not hold its aggregate.</summary>
    internal const string ContinueAfterDeadLetterRule = " AND e.status <> 'DEAD_LETTER'";

    /// <summary>
    /// Writes one outcome, fenced by the lease owner. <c>sent_at</c>, <c>next_attempt_at</c> and <c>last_error</c> are
    /// kept when the outcome has none (a success keeps the last failure's text for history).
    /// </summary>
    internal const string CompleteTemplate =
        """
        UPDATE "$(OutboxTable)"
        SET status = @status,
            retry_count = @retry_count,
            last_attempt_at = @attempted_at,
            sent_at = COALESCE(@sent_at, sent_at),
            next_attempt_at = COALESCE(@next_attempt_at, next_attempt_at),
            last_error = COALESCE(@last_error, last_error),
            locked_by = NULL,
            locked_until = NULL
        WHERE id = @id AND locked_by = @lease_owner
        """;

    internal const string ReleaseTemplate =
        """
        UPDATE "$(OutboxTable)"
        SET locked_by = NULL, locked_until = NULL
        WHERE id = @id AND locked_by = @lease_owner
        """;

    /// <summary>
    /// Counts from the partial indexes only (<c>INDEXED BY</c> makes SQLite use them or fail, never scan the history).
    /// SQLite keeps no cheap row estimate, so there is no SENT figure.
    /// </summary>
    internal const string StatisticsTemplate =
        """
        SELECT
            COALESCE(SUM(CASE WHEN status = 'PENDING' THEN 1 ELSE 0 END), 0) AS Pending,
            COALESCE(SUM(CASE WHEN status = 'FAILED' THEN 1 ELSE 0 END), 0) AS Failed,
            COALESCE(SUM(CASE WHEN next_attempt_at <= @now AND (locked_until IS NULL OR locked_until <= @now) THEN 1 ELSE 0 END), 0) AS Due,
            COALESCE(SUM(CASE WHEN locked_until > @now THEN 1 ELSE 0 END), 0) AS Leased,
            MIN(CASE WHEN next_attempt_at <= @now THEN next_attempt_at END) AS OldestDue,
            (SELECT COUNT(*) FROM "$(OutboxTable)" INDEXED BY "ix_$(OutboxTable)_dead_letter" WHERE status = 'DEAD_LETTER') AS DeadLetter
        FROM "$(OutboxTable)" INDEXED BY "ix_$(OutboxTable)_due"
        WHERE status IN ('PENDING', 'FAILED')
        """;

    internal const string GetTemplate =
        $"""
        SELECT {Columns} FROM "$(OutboxTable)" WHERE id = @id
        """;

    internal const string RequeueTemplate =
        """
        UPDATE "$(OutboxTable)"
        SET status = 'PENDING', retry_count = 0, next_attempt_at = @now, locked_by = NULL, locked_until = NULL, requeued_at = @now
        WHERE id = @id AND status = 'DEAD_LETTER'
        """;

    internal const string CountDeadLettersTemplate =
        $"""
        SELECT COUNT(*) FROM "$(OutboxTable)" WHERE {DeadLetterFilter}
        """;

    internal const string ListFilteredDeadLettersTemplate =
        $"""
        SELECT {Columns} FROM "$(OutboxTable)"
        WHERE {DeadLetterFilter}
        ORDER BY id
        LIMIT @limit
        """;

    /// <summary>One batch of a replay, in ID order after the previous batch (keyset).</summary>
    internal const string ReplayTemplate =
        $"""
        UPDATE "$(OutboxTable)"
        SET status = 'PENDING', retry_count = 0, next_attempt_at = @now, locked_by = NULL, locked_until = NULL, requeued_at = @now
        WHERE rowid IN (
            SELECT rowid FROM "$(OutboxTable)"
            WHERE {DeadLetterFilter}
            ORDER BY id
            LIMIT @limit)
        RETURNING id
        """;

    /// <summary>Whether the table has the <c>requeued_at</c> column (added in 0.2; see <see cref="AddRequeuedAtTemplate"/>).</summary>
    internal const string HasRequeuedAtTemplate =
        """
        SELECT COUNT(*) FROM pragma_table_info(@table) WHERE name = 'requeued_at'
        """;

    /// <summary>Migrates a table made by the 0.1 script: adds the nullable column; rows are kept as they are.</summary>
    internal const string AddRequeuedAtTemplate =
        """
        ALTER TABLE "$(OutboxTable)" ADD COLUMN requeued_at INTEGER NULL
        """;

    /// <summary>
    /// Deletes one batch of old <c>SENT</c> rows, oldest delivery first, read from the partial index of sent records
    /// (the WHERE repeats its predicate literally). The caller repeats it until a batch comes back short.
    /// </summary>
    internal const string PurgeSentTemplate =
        """
        DELETE FROM "$(OutboxTable)"
        WHERE rowid IN (
            SELECT rowid FROM "$(OutboxTable)"
            WHERE status = 'SENT' AND sent_at < @sent_before
            ORDER BY sent_at
            LIMIT @batch_size)
        """;

/// <summary>
    /// The busy timeout of a connection, <c>$(BusyTimeoutMs)</c> in milliseconds. PRAGMA takes no parameters; the value
    /// is an integer computed from a validated <see cref="TimeSpan"/>, never user text.
    /// </summary>
    internal const string BusyTimeoutTemplate = "PRAGMA busy_timeout = $(BusyTimeoutMs)";

        internal const string JournalModeTemplate = "PRAGMA journal_mode";

    /// <summary>The name of the embedded schema script resource (file <c>Schema/outbox.sqlite.sql</c>).</summary>
    internal const string SchemaResourceName = "OrderOutbox.Sqlite.Schema.outbox.sqlite.sql";

    /// <summary>Builds the statements for <paramref name="table"/>, which must already be validated.</summary>
    /// <param name="table">A table name that matches <see cref="Storage.SqlIdentifier.Pattern"/>.</param>
    /// <param name="commandTimeout">The store's command timeout, also the busy timeout; <see langword="null"/> for <see cref="SqliteOutboxOptions.DefaultCommandTimeout"/>.</param>
    public SqliteOutboxSql(string table, TimeSpan? commandTimeout = null)
    {
        BusyTimeout = BusyTimeoutTemplate.Replace(
            "$(BusyTimeoutMs)",
            ((long)(commandTimeout ?? SqliteOutboxOptions.DefaultCommandTimeout).TotalMilliseconds).ToString(CultureInfo.InvariantCulture),
            StringComparison.Ordinal);
        Table = table;
        Insert = Expand(InsertTemplate, table);
        InsertManyFull = InsertMany(InsertManyRows);
        Claim = Expand(ClaimTemplate, table);
        ClaimPerAggregate = Expand(ClaimPerAggregateTemplate, table).Replace(DeadLetterRuleToken, "", StringComparison.Ordinal);
        ClaimPerAggregateContinue = Expand(ClaimPerAggregateTemplate, table)
            .Replace(DeadLetterRuleToken, ContinueAfterDeadLetterRule, StringComparison.Ordinal);
        Complete = Expand(CompleteTemplate, table);
        Release = Expand(ReleaseTemplate, table);
        Statistics = Expand(StatisticsTemplate, table);
        Get = Expand(GetTemplate, table);
        Requeue = Expand(RequeueTemplate, table);
        CountDeadLetters = Expand(CountDeadLettersTemplate, table);
        ListFilteredDeadLetters = Expand(ListFilteredDeadLettersTemplate, table);
        Replay = Expand(ReplayTemplate, table);
        HasRequeuedAt = Expand(HasRequeuedAtTemplate, table);
        AddRequeuedAt = Expand(AddRequeuedAtTemplate, table);
        PurgeSent = Expand(PurgeSentTemplate, table);
        JournalMode = JournalModeTemplate;
        Schema = Expand(LoadSchemaScript(), table);
        All =
        [
            new(nameof(InsertTemplate), Insert),
            new(nameof(InsertManyHeadTemplate), InsertManyFull),
            new(nameof(InsertManyRowTemplate) + "+" + nameof(InsertManyHeadTemplate), InsertMany(1)),
            new(nameof(ClaimTemplate), Claim),
            new(nameof(ClaimPerAggregateTemplate), ClaimPerAggregate),
            new(nameof(ClaimPerAggregateTemplate) + "+" + nameof(ContinueAfterDeadLetterRule), ClaimPerAggregateContinue),
            new(nameof(CompleteTemplate), Complete),
            new(nameof(ReleaseTemplate), Release),
            new(nameof(StatisticsTemplate), Statistics),
            new(nameof(GetTemplate), Get),
            new(nameof(RequeueTemplate), Requeue),
            new(nameof(CountDeadLettersTemplate), CountDeadLetters),
            new(nameof(ListFilteredDeadLettersTemplate), ListFilteredDeadLetters),
            new(nameof(ReplayTemplate), Replay),
            new(nameof(HasRequeuedAtTemplate), HasRequeuedAt),
            new(nameof(AddRequeuedAtTemplate), AddRequeuedAt),
            new(nameof(PurgeSentTemplate), PurgeSent),
            new(nameof(JournalModeTemplate), JournalMode),
            new(nameof(BusyTimeoutTemplate), BusyTimeout),
            new(nameof(SchemaResourceName), Schema),
        ];
    }

    /// <summary>Sets the connection's busy timeout to the store's command timeout.</summary>
    public string BusyTimeout { get; }

    /// <summary>Every statement the store executes, keyed by the template (or resource) it comes from.</summary>
    public IReadOnlyList<KeyValuePair<string, string>> All { get; }

    /// <summary>The bulk insert of <see cref="InsertManyRows"/> rows.</summary>
    public string InsertManyFull { get; }

    /// <summary>The bulk insert of <paramref name="rows"/> rows (1 to <see cref="InsertManyRows"/>).</summary>
    /// <param name="rows">The number of rows.</param>
    /// <returns>The statement.</returns>
    public string InsertMany(int rows)
    {
        var builder = new System.Text.StringBuilder(Expand(InsertManyHeadTemplate, Table), InsertManyHeadTemplate.Length + (rows * 64));
        for (int i = 0; i < rows; i++)
        {
            builder.Append(i == 0 ? "\n" : ",\n").Append(InsertManyRowTemplate.Replace("{0}", i.ToString(System.Globalization.CultureInfo.InvariantCulture), StringComparison.Ordinal));
        }

        return builder.ToString();
    }

    /// <summary>The (validated, unquoted) table name.</summary>
    public string Table { get; }

    public string HasRequeuedAt { get; }

    public string AddRequeuedAt { get; }

    public string JournalMode { get; }

    /// <summary>Reads the embedded schema script with its placeholder.</summary>
    /// <returns>The script text.</returns>
    internal static string LoadSchemaScript()
        => EmbeddedSchemaScript.Read(typeof(SqliteOutboxSql).Assembly, SchemaResourceName);

    private static string Expand(string template, string table) => template.Replace(TableToken, table, StringComparison.Ordinal);
}
