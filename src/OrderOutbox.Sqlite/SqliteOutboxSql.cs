namespace OrderOutbox.Sqlite;

/// <summary>
/// Every SQL statement the SQLite store runs, as <c>const</c> templates, and their text for one table.
/// <c>$(OutboxTable)</c> is replaced by the validated table name (quoted with double quotes in the templates);
/// values are always parameters. The status literals are written inline on purpose: the claim's
/// <c>status IN ('PENDING', 'FAILED')</c> must match the partial index's WHERE clause for SQLite to use it.
/// </summary>
internal sealed class SqliteOutboxSql
{
    /// <summary>The placeholder for the table name in the templates and in the schema script.</summary>
    internal const string TableToken = "$(OutboxTable)";

    /// <summary>The columns read into an <see cref="OutboxMessage"/>, in the order <see cref="SqliteOutboxStore"/> reads them.</summary>
    internal const string Columns =
        "id, message_type, aggregate_id, payload, headers, status, retry_count, created_at, " +
        "next_attempt_at, last_attempt_at, sent_at, last_error, locked_by, locked_until";

    internal const string InsertTemplate =
        """
        INSERT INTO "$(OutboxTable)" (id, message_type, aggregate_id, payload, headers, status, retry_count, next_attempt_at, created_at)
        VALUES (@id, @message_type, @aggregate_id, @payload, @headers, 'PENDING', 0, @created_at, @created_at)
        """;

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

    internal const string StatisticsTemplate =
        """
        SELECT
            COALESCE(SUM(CASE WHEN status = 'PENDING' THEN 1 ELSE 0 END), 0),
            COALESCE(SUM(CASE WHEN status = 'SENT' THEN 1 ELSE 0 END), 0),
            COALESCE(SUM(CASE WHEN status = 'FAILED' THEN 1 ELSE 0 END), 0),
            COALESCE(SUM(CASE WHEN status = 'DEAD_LETTER' THEN 1 ELSE 0 END), 0),
            COALESCE(SUM(CASE WHEN status IN ('PENDING', 'FAILED') AND locked_until > @now THEN 1 ELSE 0 END), 0),
            (SELECT MIN(next_attempt_at) FROM "$(OutboxTable)"
             WHERE status IN ('PENDING', 'FAILED') AND next_attempt_at <= @now)
        FROM "$(OutboxTable)"
        """;

    internal const string GetTemplate =
        $"""
        SELECT {Columns} FROM "$(OutboxTable)" WHERE id = @id
        """;

    internal const string ListDeadLettersTemplate =
        $"""
        SELECT {Columns} FROM "$(OutboxTable)"
        WHERE status = 'DEAD_LETTER'
        ORDER BY id
        LIMIT @limit
        """;

    internal const string ListDeadLettersAfterTemplate =
        $"""
        SELECT {Columns} FROM "$(OutboxTable)"
        WHERE status = 'DEAD_LETTER' AND id > @after
        ORDER BY id
        LIMIT @limit
        """;

    internal const string RequeueTemplate =
        """
        UPDATE "$(OutboxTable)"
        SET status = 'PENDING', retry_count = 0, next_attempt_at = @now, locked_by = NULL, locked_until = NULL
        WHERE id = @id AND status = 'DEAD_LETTER'
        """;

    internal const string RequeueAllTemplate =
        """
        UPDATE "$(OutboxTable)"
        SET status = 'PENDING', retry_count = 0, next_attempt_at = @now, locked_by = NULL, locked_until = NULL
        WHERE status = 'DEAD_LETTER'
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

    internal const string JournalModeTemplate = "PRAGMA journal_mode";

    /// <summary>The name of the embedded schema script resource (file <c>Schema/outbox.sqlite.sql</c>).</summary>
    internal const string SchemaResourceName = "OrderOutbox.Sqlite.Schema.outbox.sqlite.sql";

    /// <summary>Builds the statements for <paramref name="table"/>, which must already be validated.</summary>
    /// <param name="table">A table name that matches <see cref="Storage.SqlIdentifier.Pattern"/>.</param>
    public SqliteOutboxSql(string table)
    {
        Table = table;
        Insert = Expand(InsertTemplate, table);
        Claim = Expand(ClaimTemplate, table);
        ClaimPerAggregate = Expand(ClaimPerAggregateTemplate, table).Replace(DeadLetterRuleToken, "", StringComparison.Ordinal);
        ClaimPerAggregateContinue = Expand(ClaimPerAggregateTemplate, table)
            .Replace(DeadLetterRuleToken, ContinueAfterDeadLetterRule, StringComparison.Ordinal);
        Complete = Expand(CompleteTemplate, table);
        Release = Expand(ReleaseTemplate, table);
        Statistics = Expand(StatisticsTemplate, table);
        Get = Expand(GetTemplate, table);
        ListDeadLetters = Expand(ListDeadLettersTemplate, table);
        ListDeadLettersAfter = Expand(ListDeadLettersAfterTemplate, table);
        Requeue = Expand(RequeueTemplate, table);
        RequeueAll = Expand(RequeueAllTemplate, table);
        PurgeSent = Expand(PurgeSentTemplate, table);
        JournalMode = JournalModeTemplate;
        Schema = Expand(LoadSchemaScript(), table);
    }

    /// <summary>The (validated, unquoted) table name.</summary>
    public string Table { get; }

    public string Insert { get; }

    public string Claim { get; }

    /// <summary>The per-aggregate claim, dead letters holding their aggregate.</summary>
    public string ClaimPerAggregate { get; }

    /// <summary>The per-aggregate claim, dead letters not holding their aggregate.</summary>
    public string ClaimPerAggregateContinue { get; }

    public string Complete { get; }

    public string Release { get; }

    public string Statistics { get; }

    public string Get { get; }

    public string ListDeadLetters { get; }

    public string ListDeadLettersAfter { get; }

    public string Requeue { get; }

    public string RequeueAll { get; }

    public string PurgeSent { get; }

    public string JournalMode { get; }

    /// <summary>The schema script (<c>Schema/outbox.sqlite.sql</c>) for this table.</summary>
    public string Schema { get; }

    /// <summary>Reads the embedded schema script with its placeholder.</summary>
    /// <returns>The script text.</returns>
    internal static string LoadSchemaScript()
    {
        using var stream = typeof(SqliteOutboxSql).Assembly.GetManifestResourceStream(SchemaResourceName)
            ?? throw new InvalidOperationException($"The embedded resource '{SchemaResourceName}' is missing from {typeof(SqliteOutboxSql).Assembly.GetName().Name}.");
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }

    private static string Expand(string template, string table) => template.Replace(TableToken, table, StringComparison.Ordinal);
}
