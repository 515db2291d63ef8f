using System.Data;
using System.Data.Common;
using System.Globalization;
using System.Reflection;
using Dapper;
using Npgsql;
using NpgsqlTypes;
using OrderOutbox.Storage;

namespace OrderOutbox.PostgreSql;

/// <summary>
/// The PostgreSQL outbox store: one table (<c>outbox_messages</c> by default), claims with
/// <c>FOR UPDATE SKIP LOCKED</c> over a partial index of due records, outcomes and releases fenced by lease owner in one
/// round trip per batch, and an optional <c>pg_notify</c> on enqueue that PostgreSQL delivers only on commit.
/// </summary>
/// <remarks>
/// Identifiers from the options are validated with <see cref="SqlIdentifier.Validate"/> in the constructor, before any
/// SQL is built, then double-quoted (so they are case-sensitive). Every value is a parameter. The SQL texts are built
/// once, in the constructor. Thread-safe: one instance serves the whole application.
/// </remarks>
public sealed class PostgreSqlOutboxStore : IOutboxStore, IOutboxAdmin
{
    private const string SchemaResourceName = "OrderOutbox.PostgreSql.Schema.outbox.postgresql.sql";
    private const int MaxIdentifierLength = 63;

    private const string Columns =
        "id, message_type, aggregate_id, payload, headers, status, retry_count, created_at, next_attempt_at, " +
        "last_attempt_at, sent_at, last_error, locked_by, locked_until, requeued_at";

    // The filter of a replay, its dry run and its listing: $1 message type, $2 aggregate ID, $3/$4 created range,
    // $5/$6 last-attempt range, $7 text in last_error, $8 explicit IDs; a NULL parameter is no condition. The scan is
    // driven by the partial index of dead letters (status = 'DEAD_LETTER', by id), never by the SENT history.
    private const string DeadLetterFilterSql =
        "status = 'DEAD_LETTER' " +
        "AND ($1::text IS NULL OR message_type = $1::text) " +
        "AND ($2::text IS NULL OR aggregate_id = $2::text) " +
        "AND ($3::timestamptz IS NULL OR created_at >= $3::timestamptz) " +
        "AND ($4::timestamptz IS NULL OR created_at < $4::timestamptz) " +
        "AND ($5::timestamptz IS NULL OR last_attempt_at >= $5::timestamptz) " +
        "AND ($6::timestamptz IS NULL OR last_attempt_at < $6::timestamptz) " +
        "AND ($7::text IS NULL OR strpos(last_error, $7::text) > 0) " +
        "AND ($8::uuid[] IS NULL OR id = ANY($8::uuid[]))";

    private readonly NpgsqlDataSource _dataSource;
    private readonly TimeProvider _timeProvider;
    private readonly int? _commandTimeoutSeconds;
    private readonly bool _useNotifications;
    private readonly string _notificationChannel;
    private readonly string _schemaName;
    private readonly long _schemaLockKey;
    private readonly string[] _schemaObjects;

    private readonly string _insertSql;
    private readonly string _insertNotifySql;
    private readonly string _claimSql;
    private readonly string _claimPerAggregateSql;
    private readonly string _claimPerAggregateContinueSql;
    private readonly string _completeSql;
    private readonly string _releaseSql;
    private readonly string _getSql;
    private readonly string _statisticsSql;
    private readonly string _requeueSql;
    private readonly string _countDeadLettersSql;
    private readonly string _listFilteredSql;
    private readonly string _listFilteredAfterSql;
    private readonly string _replaySql;
    private readonly string _replayAfterSql;
    private readonly string _sentIndexName;
    private readonly string _purgeSql;
    private readonly string _schemaSql;
    private readonly BulkInsertSql _bulkInsertSql;

    /// <summary>Creates the store.</summary>
    /// <param name="dataSource">The data source the store opens its own connections from (claims, outcomes, admin, schema).</param>
    /// <param name="options">The options; identifiers are validated here, before any SQL is built.</param>
    /// <param name="timeProvider">The clock of the admin operations ("now" for statistics and requeue); <see langword="null"/> for <see cref="TimeProvider.System"/>.</param>
    /// <exception cref="ArgumentException">An identifier in <paramref name="options"/> is not valid.</exception>
    public PostgreSqlOutboxStore(NpgsqlDataSource dataSource, PostgreSqlOutboxOptions options, TimeProvider? timeProvider = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        string schema = SqlIdentifier.Validate(options.Schema ?? PostgreSqlOutboxOptions.DefaultSchema, "PostgreSqlOutboxOptions.Schema");
        string table = SqlIdentifier.Validate(options.TableName, "PostgreSqlOutboxOptions.TableName");
        _notificationChannel = SqlIdentifier.Validate(options.NotificationChannel, "PostgreSqlOutboxOptions.NotificationChannel");
        ArgumentNullException.ThrowIfNull(dataSource);
        if (options.CommandTimeout is { } timeout && !OutboxStoreOptionsRules.IsValidCommandTimeout(timeout))
        {
            throw new ArgumentOutOfRangeException(
                nameof(options), timeout, "PostgreSqlOutboxOptions.CommandTimeout must be between 1 second and 1 hour.");
        }

        _dataSource = dataSource;
        _timeProvider = timeProvider ?? TimeProvider.System;
        _commandTimeoutSeconds = options.CommandTimeout is { } t ? (int)Math.Ceiling(t.TotalSeconds) : null;
        _useNotifications = options.UseNotifications;
        _schemaName = schema;

        string qSchema = Quote(schema);
        string qTable = qSchema + "." + Quote(table);
        string dueIndex = IndexName(table, "due_idx");
        DueIndexName = dueIndex;
        string deadIndex = IndexName(table, "dead_letter_idx");
        string sentIndex = IndexName(table, "sent_idx");
        SentIndexName = sentIndex;
        string aggregateIndex = IndexName(table, "aggregate_idx");
        AggregateIndexName = aggregateIndex;
        _schemaObjects =
        [
            qTable, qSchema + "." + Quote(dueIndex), qSchema + "." + Quote(deadIndex), qSchema + "." + Quote(sentIndex),
            qSchema + "." + Quote(aggregateIndex),
        ];
        _sentIndexName = _schemaObjects[3];
        _schemaLockKey = StableHash("OrderOutbox.EnsureSchema:" + schema + "." + table);

        _insertSql =
            $"INSERT INTO {qTable} (id, message_type, aggregate_id, payload, headers, status, retry_count, next_attempt_at, created_at) " +
            "VALUES ($1, $2, $3, $4, $5, 'PENDING', 0, $6, $6)";

        // One statement, one round trip: the row comes from pg_notify's single (void) row, so the notification is
        // queued with the insert and PostgreSQL delivers it only if the transaction commits.
        _insertNotifySql =
            $"INSERT INTO {qTable} (id, message_type, aggregate_id, payload, headers, status, retry_count, next_attempt_at, created_at) " +
            "SELECT $1, $2, $3, $4, $5, 'PENDING', 0, $6, $6 FROM pg_notify($7, '')";

        _bulkInsertSql = BulkInsertStatements(qTable);

        _claimSql = ClaimStatement(qTable, "");

        // Per-aggregate ordering: a record is claimable only when no record of its aggregate with a smaller (time-ordered)
        // ID is unfinished. The NOT EXISTS repeats the aggregate index's predicate (status IN the three unfinished
        // states), so each check is one probe of that small partial index; Continue filters dead letters out after it.
        const string earlierUnfinished =
            " AND (d.aggregate_id IS NULL OR NOT EXISTS (SELECT 1 FROM {0} AS e WHERE e.aggregate_id = d.aggregate_id AND e.id < d.id " +
            "AND e.status IN ('PENDING', 'FAILED', 'DEAD_LETTER'){1}))";
        _claimPerAggregateSql = ClaimStatement(qTable, string.Format(CultureInfo.InvariantCulture, earlierUnfinished, qTable, ""));
        _claimPerAggregateContinueSql = ClaimStatement(
            qTable, string.Format(CultureInfo.InvariantCulture, earlierUnfinished, qTable, " AND e.status <> 'DEAD_LETTER'"));

        _completeSql =
            $"UPDATE {qTable} AS t SET status = o.status, retry_count = o.retry_count, last_attempt_at = o.attempted_at, " +
            "sent_at = CASE WHEN o.status = 'SENT' THEN o.completed_at ELSE t.sent_at END, " +
            "next_attempt_at = COALESCE(o.next_attempt_at, t.next_attempt_at), " +
            "last_error = COALESCE(o.last_error, t.last_error), locked_by = NULL, locked_until = NULL " +
            "FROM unnest($1::uuid[], $2::text[], $3::text[], $4::integer[], $5::timestamptz[], $6::timestamptz[], $7::timestamptz[], $8::text[]) " +
            "AS o(id, owner, status, retry_count, attempted_at, completed_at, next_attempt_at, last_error) " +
            "WHERE t.id = o.id AND t.locked_by = o.owner RETURNING t.id";

        _releaseSql =
            $"UPDATE {qTable} AS t SET locked_by = NULL, locked_until = NULL " +
            "FROM unnest($1::uuid[], $2::text[]) AS o(id, owner) WHERE t.id = o.id AND t.locked_by = o.owner";

        _getSql = $"SELECT {Columns} FROM {qTable} WHERE id = $1";

        // Reads only the partial indexes: the due index (status IN ('PENDING', 'FAILED'), repeated literally so the planner
        // matches it) and the dead-letter index; SENT is the planner's row estimate of the partial SENT index.
        _statisticsSql =
            "SELECT count(*) FILTER (WHERE status = 'PENDING'), count(*) FILTER (WHERE status = 'FAILED'), " +
            "count(*) FILTER (WHERE next_attempt_at <= $1 AND (locked_until IS NULL OR locked_until <= $1)), " +
            "count(*) FILTER (WHERE locked_until > $1), " +
            "$1 - min(next_attempt_at) FILTER (WHERE next_attempt_at <= $1), " +
            $"(SELECT count(*) FROM {qTable} WHERE status = 'DEAD_LETTER'), " +
            "(SELECT CASE WHEN c.reltuples < 0 THEN NULL ELSE c.reltuples::bigint END FROM pg_catalog.pg_class AS c WHERE c.oid = to_regclass($2)) " +
            $"FROM {qTable} WHERE status IN ('PENDING', 'FAILED')";

        _countDeadLettersSql = $"SELECT count(*) FROM {qTable} WHERE {DeadLetterFilterSql}";
        _listFilteredSql = $"SELECT {Columns} FROM {qTable} WHERE {DeadLetterFilterSql} ORDER BY id LIMIT $9";
        _listFilteredAfterSql = $"SELECT {Columns} FROM {qTable} WHERE {DeadLetterFilterSql} AND id > $10 ORDER BY id LIMIT $9";

        // One batch of a replay: one statement, one short transaction. The outer status check keeps a record that left
        // DEAD_LETTER since the inner SELECT's snapshot from being requeued.
        const string replaySet =
            "SET status = 'PENDING', retry_count = 0, next_attempt_at = $10, locked_by = NULL, locked_until = NULL, requeued_at = $10 ";
        _replaySql =
            $"UPDATE {qTable} {replaySet}WHERE status = 'DEAD_LETTER' AND id IN (" +
            $"SELECT id FROM {qTable} WHERE {DeadLetterFilterSql} ORDER BY id LIMIT $9) RETURNING id";
        _replayAfterSql =
            $"UPDATE {qTable} {replaySet}WHERE status = 'DEAD_LETTER' AND id IN (" +
            $"SELECT id FROM {qTable} WHERE {DeadLetterFilterSql} AND id > $11 ORDER BY id LIMIT $9) RETURNING id";


        const string requeueSet =
            "SET status = 'PENDING', retry_count = 0, next_attempt_at = @now, locked_by = NULL, locked_until = NULL, requeued_at = @now ";
        _requeueSql = $"UPDATE {qTable} {requeueSet}WHERE id = @id AND status = 'DEAD_LETTER'";

        // The inner WHERE repeats the sent index's predicate literally, so the batch is read from that partial index; rows
        // another session holds (an operator's query, a replay) are skipped, not waited for — the next purge takes them.
        _purgeSql =
            $"WITH batch AS MATERIALIZED (SELECT id FROM {qTable} " +
            "WHERE status = 'SENT' AND sent_at < @sentBefore ORDER BY sent_at LIMIT @batchSize FOR UPDATE SKIP LOCKED) " +
            $"DELETE FROM {qTable} AS t USING batch WHERE t.id = batch.id";

        _schemaSql = LoadSchemaScript()
            .Replace("{{schema}}", qSchema, StringComparison.Ordinal)
            .Replace("{{table}}", Quote(table), StringComparison.Ordinal)
            .Replace("{{due_index}}", Quote(dueIndex), StringComparison.Ordinal)
            .Replace("{{dead_index}}", Quote(deadIndex), StringComparison.Ordinal)
            .Replace("{{sent_index}}", Quote(sentIndex), StringComparison.Ordinal)
            .Replace("{{aggregate_index}}", Quote(aggregateIndex), StringComparison.Ordinal);
    }

    /// <summary>The claim statement (for plan tests).</summary>
    internal string ClaimSql => _claimSql;

    /// <summary>The per-aggregate claim statement, dead letters holding their aggregate (for plan tests).</summary>
    internal string ClaimPerAggregateSql => _claimPerAggregateSql;

    /// <summary>The name of the partial index of unfinished records by aggregate (for plan tests).</summary>
    internal string AggregateIndexName { get; }

    /// <summary>The name of the partial index of due records (for plan tests).</summary>
    internal string DueIndexName { get; }

    /// <summary>The statistics statement (for plan tests): $1 now, $2 the qualified name of the SENT index.</summary>
    internal string StatisticsSql => _statisticsSql;

    /// <summary>The qualified, quoted name of the partial index of SENT records (the statistics' $2).</summary>
    internal string QualifiedSentIndexName => _sentIndexName;

    /// <summary>The purge statement, one batch (for plan tests).</summary>
    internal string PurgeSql => _purgeSql;

    /// <summary>The name of the partial index of sent records (for plan tests).</summary>
    internal string SentIndexName { get; }

    /// <summary>The schema script as shipped (with its <c>{{schema}}</c>, <c>{{table}}</c> and index placeholders).</summary>
    /// <returns>The script text.</returns>
    public static string GetSchemaScript() => LoadSchemaScript();

    /// <inheritdoc/>
    public async Task EnqueueAsync(DbTransaction transaction, OutboxEntry entry, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(transaction);
        ArgumentNullException.ThrowIfNull(entry);
        OutboxEntryRules.Validate(entry, nameof(entry));
        NpgsqlConnection connection = OpenConnectionOf(transaction);

        NpgsqlCommand command;
        try
        {
            command = new NpgsqlCommand(_useNotifications ? _insertNotifySql : _insertSql, connection, (NpgsqlTransaction)transaction);
        }
        catch (InvalidOperationException ex)
        {
            // Npgsql keeps Connection set on a committed or rolled-back transaction and refuses it here.
            throw new ArgumentException(
                "The transaction is already committed or rolled back: enqueue on the open transaction of the business change, before CommitAsync.",
                nameof(transaction),
                ex);
        }

        using var commandScope = command;
        command.Parameters.Add(new NpgsqlParameter<Guid> { TypedValue = entry.Id });
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = entry.MessageType });
        command.Parameters.Add(new NpgsqlParameter { Value = (object?)entry.AggregateId ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Text });
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = entry.Payload, NpgsqlDbType = NpgsqlDbType.Text });
        command.Parameters.Add(new NpgsqlParameter { Value = (object?)StorableText.Escape(entry.Headers) ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Text });
        command.Parameters.Add(new NpgsqlParameter<DateTimeOffset> { TypedValue = entry.CreatedAt.ToUniversalTime() });
        if (_useNotifications)
        {
            command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = _notificationChannel });
        }

        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    // ---- Bulk enqueue (EnqueueManyAsync): its statements and its code, kept in this one block. -------------------------

    /// <summary>
    /// At most this many payload characters go into one bulk statement; a larger batch is written by several statements
    /// on the same transaction, so no single protocol message nears PostgreSQL's 1 GB limit.
    /// </summary>
    private const long BulkMaxPayloadCharsPerStatement = 64L * 1024 * 1024;

    /// <summary>The bulk insert (<see cref="BulkInsertSql.Insert"/>) and its variant that also queues one notification.</summary>
    private sealed record BulkInsertSql(string Insert, string InsertNotify);

    /// <summary>
    /// One statement for the whole batch: six typed arrays ($1 id, $2 message type, $3 aggregate ID, $4 payload,
    /// $5 headers, $6 created at) expanded by <c>unnest</c> into rows, in array order. The notify variant takes its one
    /// row of <c>pg_notify($7, '')</c> in a cross join, so a call queues one notification, however many rows it inserts
    /// (and PostgreSQL delivers it only on commit), exactly as one single enqueue does.
    /// </summary>
    private static BulkInsertSql BulkInsertStatements(string qTable)
    {
        string insert =
            $"INSERT INTO {qTable} (id, message_type, aggregate_id, payload, headers, status, retry_count, next_attempt_at, created_at) " +
            "SELECT r.id, r.message_type, r.aggregate_id, r.payload, r.headers, 'PENDING', 0, r.created_at, r.created_at " +
            "FROM unnest($1::uuid[], $2::text[], $3::text[], $4::text[], $5::text[], $6::timestamptz[]) " +
            "AS r(id, message_type, aggregate_id, payload, headers, created_at)";
        return new BulkInsertSql(insert, insert + " CROSS JOIN pg_notify($7, '') AS n");
    }

    /// <summary>The bulk insert statement (for tests).</summary>
    internal string BulkInsertSqlText => _bulkInsertSql.Insert;

    /// <inheritdoc/>
    /// <remarks>
    /// One <c>INSERT … SELECT FROM unnest(arrays)</c> for the whole list — one round trip — unless its payloads exceed
    /// 64 Mi characters, then one such statement per 64 Mi. With notifications on, the first statement queues the one
    /// wake-up of the call.
    /// </remarks>
    public async Task EnqueueManyAsync(DbTransaction transaction, IReadOnlyList<OutboxEntry> entries, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(transaction);
        OutboxEntryRules.ValidateBatch(entries, nameof(entries));
        NpgsqlConnection connection = OpenConnectionOf(transaction);
        if (entries.Count == 0)
        {
            return;
        }

        bool notify = _useNotifications;
        int start = 0;
        while (start < entries.Count)
        {
            int end = start;
            long chars = 0;
            while (end < entries.Count && (end == start || chars + entries[end].Payload.Length <= BulkMaxPayloadCharsPerStatement))
            {
                chars += entries[end].Payload.Length;
                end++;
            }

            await InsertRowsAsync(connection, (NpgsqlTransaction)transaction, entries, start, end - start, notify, cancellationToken).ConfigureAwait(false);
            notify = false;
            start = end;
        }
    }

    private async Task InsertRowsAsync(
        NpgsqlConnection connection, NpgsqlTransaction transaction, IReadOnlyList<OutboxEntry> entries, int start, int count, bool notify, CancellationToken cancellationToken)
    {
        var ids = new Guid[count];
        var messageTypes = new string[count];
        var aggregateIds = new string?[count];
        var payloads = new string[count];
        var headers = new string?[count];
        var createdAt = new DateTimeOffset[count];
        for (int i = 0; i < count; i++)
        {
            OutboxEntry entry = entries[start + i];
            ids[i] = entry.Id;
            messageTypes[i] = entry.MessageType;
            aggregateIds[i] = entry.AggregateId;
            payloads[i] = entry.Payload;
            headers[i] = StorableText.Escape(entry.Headers);
            createdAt[i] = entry.CreatedAt.ToUniversalTime();
        }

        NpgsqlCommand command;
        try
        {
            command = new NpgsqlCommand(notify ? _bulkInsertSql.InsertNotify : _bulkInsertSql.Insert, connection, transaction);
        }
        catch (InvalidOperationException ex)
        {
            throw new ArgumentException(
                "The transaction is already committed or rolled back: enqueue on the open transaction of the business change, before CommitAsync.",
                nameof(transaction),
                ex);
        }

        // As the single enqueue: the caller's connection decides the command timeout.
        using var commandScope = command;
        command.Parameters.Add(new NpgsqlParameter<Guid[]> { TypedValue = ids, NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Uuid });
        command.Parameters.Add(new NpgsqlParameter<string[]> { TypedValue = messageTypes, NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Text });
        command.Parameters.Add(new NpgsqlParameter<string?[]> { TypedValue = aggregateIds, NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Text });
        command.Parameters.Add(new NpgsqlParameter<string[]> { TypedValue = payloads, NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Text });
        command.Parameters.Add(new NpgsqlParameter<string?[]> { TypedValue = headers, NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Text });
        command.Parameters.Add(new NpgsqlParameter<DateTimeOffset[]> { TypedValue = createdAt, NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.TimestampTz });
        if (notify)
        {
            command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = _notificationChannel });
        }

        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    // ---- End of the bulk enqueue block. ---------------------------------------------------------------------------------

    /// <inheritdoc/>
    public Task<IReadOnlyList<OutboxMessage>> ClaimAsync(
        int batchSize, string leaseOwner, DateTimeOffset now, DateTimeOffset leaseUntil, CancellationToken cancellationToken = default)
        => ClaimAsync(batchSize, leaseOwner, now, leaseUntil, ClaimOrdering.Unordered, cancellationToken);

    /// <inheritdoc/>
    public async Task<IReadOnlyList<OutboxMessage>> ClaimAsync(
        int batchSize, string leaseOwner, DateTimeOffset now, DateTimeOffset leaseUntil, ClaimOrdering ordering, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(batchSize, 1);
        string sql = ordering switch
        {
            ClaimOrdering.Unordered => _claimSql,
            ClaimOrdering.PerAggregate => _claimPerAggregateSql,
            ClaimOrdering.PerAggregateContinueAfterDeadLetter => _claimPerAggregateContinueSql,
            _ => throw new ArgumentOutOfRangeException(nameof(ordering), ordering, "Unknown ClaimOrdering."),
        };
        ArgumentException.ThrowIfNullOrEmpty(leaseOwner);

        NpgsqlConnection connection = await _dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using (connection.ConfigureAwait(false))
        {
            using NpgsqlCommand command = CreateCommand(connection, sql);
            command.Parameters.Add(new NpgsqlParameter<DateTimeOffset> { TypedValue = now.ToUniversalTime() });
            command.Parameters.Add(new NpgsqlParameter<int> { TypedValue = batchSize });
            command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = leaseOwner });
            command.Parameters.Add(new NpgsqlParameter<DateTimeOffset> { TypedValue = leaseUntil.ToUniversalTime() });
            List<OutboxMessage> claimed = await ReadMessagesAsync(command, batchSize, cancellationToken).ConfigureAwait(false);
            claimed.Sort(ClaimOrder.OldestDueFirst);
            return claimed;
        }
    }

    /// <inheritdoc/>
    public async Task<IReadOnlyCollection<Guid>> CompleteAsync(IReadOnlyList<OutboxOutcome> outcomes, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(outcomes);
        if (outcomes.Count == 0)
        {
            return [];
        }

        int count = outcomes.Count;
        var ids = new Guid[count];
        var owners = new string[count];
        var statuses = new string[count];
        var retryCounts = new int[count];
        var attemptedAt = new DateTimeOffset[count];
        var completedAt = new DateTimeOffset[count];
        var nextAttemptAt = new DateTimeOffset?[count];
        var errors = new string?[count];
        for (int i = 0; i < count; i++)
        {
            OutboxOutcome outcome = outcomes[i];
            if (outcome.Status == OutboxStatus.Pending)
            {
                throw new ArgumentException($"The outcome of message {outcome.Id} has status Pending; an outcome is Sent, Failed or DeadLetter.", nameof(outcomes));
            }

            ids[i] = outcome.Id;
            owners[i] = outcome.LeaseOwner ?? throw new ArgumentException($"The outcome of message {outcome.Id} has no lease owner.", nameof(outcomes));
            statuses[i] = OutboxStatusText.ToText(outcome.Status);
            retryCounts[i] = outcome.RetryCount;
            attemptedAt[i] = outcome.AttemptedAt.ToUniversalTime();
            completedAt[i] = outcome.CompletedAt.ToUniversalTime();
            nextAttemptAt[i] = outcome.NextAttemptAt?.ToUniversalTime();
            errors[i] = StorableText.Escape(outcome.LastError); // text refuses U+0000: one such error would fail the whole batch
        }

        NpgsqlConnection connection = await _dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using (connection.ConfigureAwait(false))
        {
            using NpgsqlCommand command = CreateCommand(connection, _completeSql);
            command.Parameters.Add(new NpgsqlParameter<Guid[]> { TypedValue = ids });
            command.Parameters.Add(new NpgsqlParameter<string[]> { TypedValue = owners });
            command.Parameters.Add(new NpgsqlParameter<string[]> { TypedValue = statuses });
            command.Parameters.Add(new NpgsqlParameter<int[]> { TypedValue = retryCounts });
            command.Parameters.Add(new NpgsqlParameter<DateTimeOffset[]> { TypedValue = attemptedAt });
            command.Parameters.Add(new NpgsqlParameter<DateTimeOffset[]> { TypedValue = completedAt });
            command.Parameters.Add(new NpgsqlParameter<DateTimeOffset?[]> { TypedValue = nextAttemptAt });
            command.Parameters.Add(new NpgsqlParameter<string?[]> { TypedValue = errors });

            var written = new HashSet<Guid>();
            NpgsqlDataReader reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            await using (reader.ConfigureAwait(false))
            {
                while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
                {
                    written.Add(reader.GetGuid(0));
                }
            }

            if (written.Count == count)
            {
                return [];
            }

            var rejected = new List<Guid>(count - written.Count);
            foreach (Guid id in ids)
            {
                if (!written.Contains(id))
                {
                    rejected.Add(id);
                }
            }

            return rejected;
        }
    }

    /// <inheritdoc/>
    public async Task ReleaseAsync(IReadOnlyList<OutboxMessage> messages, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(messages);
        var ids = new List<Guid>(messages.Count);
        var owners = new List<string>(messages.Count);
        foreach (OutboxMessage message in messages)
        {
            if (message.LeaseOwner is not null)
            {
                ids.Add(message.Id);
                owners.Add(message.LeaseOwner);
            }
        }

        if (ids.Count == 0)
        {
            return;
        }

        NpgsqlConnection connection = await _dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using (connection.ConfigureAwait(false))
        {
            using NpgsqlCommand command = CreateCommand(connection, _releaseSql);
            command.Parameters.Add(new NpgsqlParameter<Guid[]> { TypedValue = [.. ids] });
            command.Parameters.Add(new NpgsqlParameter<string[]> { TypedValue = [.. owners] });
            await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    /// <inheritdoc/>
    public async Task EnsureSchemaAsync(CancellationToken cancellationToken = default)
    {
        NpgsqlConnection connection = await _dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using (connection.ConfigureAwait(false))
        {
            // Fast path without DDL (and without needing CREATE privileges) when everything already exists.
            if (await SchemaExistsAsync(connection, cancellationToken).ConfigureAwait(false))
            {
                return;
            }

            // CREATE … IF NOT EXISTS still races on the catalogs' unique indexes when two sessions create the same
            // object at once; a transaction-scoped advisory lock on this table's key serialises the creators.
            NpgsqlTransaction transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
            await using (transaction.ConfigureAwait(false))
            {
                await connection.ExecuteAsync(new CommandDefinition(
                    "SELECT pg_advisory_xact_lock(@key)", new { key = _schemaLockKey }, transaction, _commandTimeoutSeconds, cancellationToken: cancellationToken)).ConfigureAwait(false);

                bool schemaExists = await connection.ExecuteScalarAsync<bool>(new CommandDefinition(
                    "SELECT EXISTS (SELECT 1 FROM pg_catalog.pg_namespace WHERE nspname = @name)", new { name = _schemaName }, transaction, _commandTimeoutSeconds, cancellationToken: cancellationToken)).ConfigureAwait(false);
                if (!schemaExists)
                {
                    await connection.ExecuteAsync(new CommandDefinition(
                        "CREATE SCHEMA IF NOT EXISTS " + Quote(_schemaName), transaction: transaction, commandTimeout: _commandTimeoutSeconds, cancellationToken: cancellationToken)).ConfigureAwait(false);
                }

                await connection.ExecuteAsync(new CommandDefinition(
                    _schemaSql, transaction: transaction, commandTimeout: _commandTimeoutSeconds, cancellationToken: cancellationToken)).ConfigureAwait(false);
                await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
            }
        }
    }

    /// <inheritdoc/>
    public async Task<OutboxStatistics> GetStatisticsAsync(CancellationToken cancellationToken = default)
    {
        DateTimeOffset now = _timeProvider.GetUtcNow();
        NpgsqlConnection connection = await _dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using (connection.ConfigureAwait(false))
        {
            using NpgsqlCommand command = CreateCommand(connection, _statisticsSql);
            command.Parameters.Add(new NpgsqlParameter<DateTimeOffset> { TypedValue = now.ToUniversalTime() });
            command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = _sentIndexName });
            NpgsqlDataReader reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            await using (reader.ConfigureAwait(false))
            {
                await reader.ReadAsync(cancellationToken).ConfigureAwait(false);
                return new OutboxStatistics
                {
                    Pending = reader.GetInt64(0),
                    Failed = reader.GetInt64(1),
                    Due = reader.GetInt64(2),
                    Leased = reader.GetInt64(3),
                    OldestDueAge = reader.IsDBNull(4) ? null : reader.GetFieldValue<TimeSpan>(4),
                    DeadLetter = reader.GetInt64(5),
                    SentEstimate = reader.IsDBNull(6) ? null : reader.GetInt64(6),
                };
            }
        }
    }

    /// <inheritdoc/>
    public async Task<OutboxMessage?> GetAsync(Guid id, CancellationToken cancellationToken = default)
    {
        NpgsqlConnection connection = await _dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using (connection.ConfigureAwait(false))
        {
            using NpgsqlCommand command = CreateCommand(connection, _getSql);
            command.Parameters.Add(new NpgsqlParameter<Guid> { TypedValue = id });
            List<OutboxMessage> found = await ReadMessagesAsync(command, 1, cancellationToken).ConfigureAwait(false);
            return found.Count == 0 ? null : found[0];
        }
    }

    /// <inheritdoc/>
    public Task<IReadOnlyList<OutboxMessage>> ListDeadLettersAsync(int limit = 100, Guid? after = null, CancellationToken cancellationToken = default)
        => ListDeadLettersAsync(DeadLetterFilter.All, limit, after, cancellationToken);

    /// <inheritdoc/>
    public async Task<bool> RequeueDeadLetterAsync(Guid id, CancellationToken cancellationToken = default)
    {
        DateTimeOffset now = _timeProvider.GetUtcNow();
        NpgsqlConnection connection = await _dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using (connection.ConfigureAwait(false))
        {
            int changed = await connection.ExecuteAsync(new CommandDefinition(
                _requeueSql, new { id, now }, commandTimeout: _commandTimeoutSeconds, cancellationToken: cancellationToken)).ConfigureAwait(false);
            return changed > 0;
        }
    }

    /// <inheritdoc/>
    public async Task<int> RequeueAllDeadLettersAsync(CancellationToken cancellationToken = default)
        => DeadLetterReplay.ToInt32(await RequeueDeadLettersAsync(DeadLetterFilter.All, DeadLetterFilter.DefaultBatchSize, null, cancellationToken).ConfigureAwait(false));

    /// <inheritdoc/>
    public async Task<long> CountDeadLettersAsync(DeadLetterFilter filter, CancellationToken cancellationToken = default)
    {
        DeadLetterReplay.ValidateFilter(filter);
        NpgsqlConnection connection = await _dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using (connection.ConfigureAwait(false))
        {
            using NpgsqlCommand command = CreateCommand(connection, _countDeadLettersSql);
            AddFilterParameters(command, filter);
            return (long)(await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false))!;
        }
    }

    /// <inheritdoc/>
    public async Task<IReadOnlyList<OutboxMessage>> ListDeadLettersAsync(
        DeadLetterFilter filter, int limit = 100, Guid? after = null, CancellationToken cancellationToken = default)
    {
        DeadLetterReplay.ValidateListing(filter, limit);
        NpgsqlConnection connection = await _dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using (connection.ConfigureAwait(false))
        {
            using NpgsqlCommand command = CreateCommand(connection, after is null ? _listFilteredSql : _listFilteredAfterSql);
            AddFilterParameters(command, filter);
            command.Parameters.Add(new NpgsqlParameter<int> { TypedValue = limit });
            if (after is { } afterId)
            {
                command.Parameters.Add(new NpgsqlParameter<Guid> { TypedValue = afterId });
            }

            return await ReadMessagesAsync(command, limit, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <inheritdoc/>
    public async Task<long> RequeueDeadLettersAsync(
        DeadLetterFilter filter, int batchSize = DeadLetterFilter.DefaultBatchSize, IProgress<long>? progress = null, CancellationToken cancellationToken = default)
    {
        DeadLetterReplay.Validate(filter, batchSize);
        NpgsqlConnection connection = await _dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using (connection.ConfigureAwait(false))
        {
            return await DeadLetterReplay.RunAsync(
                progress,
                async (after, ct) =>
                {
                    using NpgsqlCommand command = CreateCommand(connection, after is null ? _replaySql : _replayAfterSql);
                    AddFilterParameters(command, filter);
                    command.Parameters.Add(new NpgsqlParameter<int> { TypedValue = batchSize });
                    command.Parameters.Add(new NpgsqlParameter<DateTimeOffset> { TypedValue = _timeProvider.GetUtcNow().ToUniversalTime() });
                    if (after is { } afterId)
                    {
                        command.Parameters.Add(new NpgsqlParameter<Guid> { TypedValue = afterId });
                    }

                    var ids = new List<Guid>(Math.Min(batchSize, 1024));
                    NpgsqlDataReader reader = await command.ExecuteReaderAsync(ct).ConfigureAwait(false);
                    await using (reader.ConfigureAwait(false))
                    {
                        while (await reader.ReadAsync(ct).ConfigureAwait(false))
                        {
                            ids.Add(reader.GetGuid(0));
                        }
                    }

                    return ids;
                },
                cancellationToken).ConfigureAwait(false);
        }
    }

    /// <inheritdoc/>
    public async Task<long> PurgeSentAsync(DateTimeOffset sentBefore, int batchSize = 1000, CancellationToken cancellationToken = default)
    {
        OutboxLimits.ThrowIfPurgeBatchSizeOutOfRange(batchSize, nameof(batchSize));
        var parameters = new { sentBefore = sentBefore.ToUniversalTime(), batchSize };
        long total = 0;
        NpgsqlConnection connection = await _dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using (connection.ConfigureAwait(false))
        {
            while (true)
            {
                cancellationToken.ThrowIfCancellationRequested();
                int deleted = await connection.ExecuteAsync(new CommandDefinition(
                    _purgeSql, parameters, commandTimeout: _commandTimeoutSeconds, cancellationToken: cancellationToken)).ConfigureAwait(false);
                total += deleted;
                if (deleted < batchSize)
                {
                    return total;
                }
            }
        }
    }

    private static NpgsqlConnection OpenConnectionOf(DbTransaction transaction)
        => StoreTransaction.Require<NpgsqlTransaction>(transaction, "PostgreSQL").Connection!;

    /// <summary>Adds $1 to $8 of <see cref="DeadLetterFilterSql"/>, typed, NULL for a condition that is not set.</summary>
    private static void AddFilterParameters(NpgsqlCommand command, DeadLetterFilter filter)
    {
        command.Parameters.Add(NullableParameter(filter.MessageType, NpgsqlDbType.Text));
        command.Parameters.Add(NullableParameter(filter.AggregateId, NpgsqlDbType.Text));
        command.Parameters.Add(NullableParameter(filter.CreatedFrom?.ToUniversalTime(), NpgsqlDbType.TimestampTz));
        command.Parameters.Add(NullableParameter(filter.CreatedBefore?.ToUniversalTime(), NpgsqlDbType.TimestampTz));
        command.Parameters.Add(NullableParameter(filter.LastAttemptFrom?.ToUniversalTime(), NpgsqlDbType.TimestampTz));
        command.Parameters.Add(NullableParameter(filter.LastAttemptBefore?.ToUniversalTime(), NpgsqlDbType.TimestampTz));
        command.Parameters.Add(NullableParameter(filter.LastErrorContains, NpgsqlDbType.Text));
        command.Parameters.Add(NullableParameter(filter.Ids?.Distinct().ToArray(), NpgsqlDbType.Array | NpgsqlDbType.Uuid));
    }

    private static NpgsqlParameter NullableParameter(object? value, NpgsqlDbType type) => new() { Value = value ?? DBNull.Value, NpgsqlDbType = type };

    private NpgsqlCommand CreateCommand(NpgsqlConnection connection, string sql)
    {
        var command = new NpgsqlCommand(sql, connection);
        if (_commandTimeoutSeconds is { } seconds)
        {
            command.CommandTimeout = seconds;
        }

        return command;
    }

    private static async Task<List<OutboxMessage>> ReadMessagesAsync(NpgsqlCommand command, int capacity, CancellationToken cancellationToken)
    {
        var messages = new List<OutboxMessage>(Math.Min(capacity, 1024));
        NpgsqlDataReader reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        await using (reader.ConfigureAwait(false))
        {
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                messages.Add(new OutboxMessage
                {
                    Id = reader.GetGuid(0),
                    MessageType = reader.GetString(1),
                    AggregateId = reader.IsDBNull(2) ? null : reader.GetString(2),
                    Payload = reader.GetString(3),
                    Headers = reader.IsDBNull(4) ? null : reader.GetString(4),
                    Status = OutboxStatusText.Parse(reader.GetString(5)),
                    RetryCount = reader.GetInt32(6),
                    CreatedAt = reader.GetFieldValue<DateTimeOffset>(7),
                    NextAttemptAt = reader.GetFieldValue<DateTimeOffset>(8),
                    LastAttemptAt = reader.IsDBNull(9) ? null : reader.GetFieldValue<DateTimeOffset>(9),
                    SentAt = reader.IsDBNull(10) ? null : reader.GetFieldValue<DateTimeOffset>(10),
                    LastError = reader.IsDBNull(11) ? null : reader.GetString(11),
                    LeaseOwner = reader.IsDBNull(12) ? null : reader.GetString(12),
                    LeaseExpiresAt = reader.IsDBNull(13) ? null : reader.GetFieldValue<DateTimeOffset>(13),
                    RequeuedAt = reader.IsDBNull(14) ? null : reader.GetFieldValue<DateTimeOffset>(14),
                });
            }
        }

        return messages;
    }

    private async Task<bool> SchemaExistsAsync(NpgsqlConnection connection, CancellationToken cancellationToken)
    {
        using NpgsqlCommand command = CreateCommand(
            connection,
            "SELECT to_regclass($1) IS NOT NULL AND to_regclass($2) IS NOT NULL AND to_regclass($3) IS NOT NULL AND to_regclass($4) IS NOT NULL " +
            "AND to_regclass($5) IS NOT NULL " +
            "AND EXISTS (SELECT 1 FROM pg_catalog.pg_attribute WHERE attrelid = to_regclass($1) AND attname = 'requeued_at' AND NOT attisdropped)");
        foreach (string name in _schemaObjects)
        {
            command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = name });
        }

        return (bool)(await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false))!;
    }

    private static string Quote(string validatedIdentifier) => "\"" + validatedIdentifier + "\"";

    // The inner WHERE repeats the partial index predicate (status IN ('PENDING', 'FAILED')) literally, so the planner
    // reads only the due-records index, whatever the size of the SENT history.
    private static string ClaimStatement(string qTable, string aggregateRule) =>
        "WITH due AS MATERIALIZED (" +
        $"SELECT d.id FROM {qTable} AS d " +
        "WHERE d.status IN ('PENDING', 'FAILED') AND d.next_attempt_at <= $1 AND (d.locked_until IS NULL OR d.locked_until <= $1)" +
        aggregateRule +
        " ORDER BY d.next_attempt_at LIMIT $2 FOR UPDATE OF d SKIP LOCKED) " +
        $"UPDATE {qTable} AS o SET locked_by = $3, locked_until = $4 FROM due WHERE o.id = due.id " +
        "RETURNING o.id, o.message_type, o.aggregate_id, o.payload, o.headers, o.status, o.retry_count, o.created_at, " +
        "o.next_attempt_at, o.last_attempt_at, o.sent_at, o.last_error, o.locked_by, o.locked_until, o.requeued_at";

    /// <summary>
    /// An index name derived from the table name. PostgreSQL truncates identifiers to 63 bytes, which could make two
    /// long derived names collide; longer names keep a prefix and add a hash of the full table name instead.
    /// </summary>
    private static string IndexName(string table, string suffix)
    {
        string name = table + "_" + suffix;
        if (name.Length <= MaxIdentifierLength)
        {
            return name;
        }

        string hash = ((uint)StableHash(table)).ToString("x8", CultureInfo.InvariantCulture);
        int keep = MaxIdentifierLength - suffix.Length - hash.Length - 2;
        return table[..keep] + "_" + hash + "_" + suffix;
    }

    /// <summary>A 64-bit FNV-1a hash: stable across processes and runtimes (unlike <see cref="string.GetHashCode()"/>).</summary>
    private static long StableHash(string value)
    {
        const ulong offset = 14695981039346656037UL;
        const ulong prime = 1099511628211UL;
        ulong hash = offset;
        foreach (char c in value)
        {
            hash = (hash ^ c) * prime;
        }

        return unchecked((long)hash);
    }

    private static string LoadSchemaScript()
        => EmbeddedSchemaScript.Read(typeof(PostgreSqlOutboxStore).Assembly, SchemaResourceName);
}
