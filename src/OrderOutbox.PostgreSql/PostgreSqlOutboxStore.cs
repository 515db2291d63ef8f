using System.Data;
using System.Data.Common;
using System.Globalization;
using System.Reflection;
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
    private const int MaxIdentifierLength = 63;

    private readonly NpgsqlDataSource _dataSource;
    private readonly TimeProvider _timeProvider;
    private readonly int? _commandTimeoutSeconds;
    private readonly NotificationLimiter? _notificationLimiter;
    private readonly bool _asynchronousBookkeeping;
    private readonly string _notificationChannel;
    private readonly string _schemaName;
    private readonly long _schemaLockKey;
    private readonly string[] _schemaObjects;
    private readonly string _sentIndexName;
    private readonly PostgreSqlOutboxSql _sql;

    /// <summary>Creates the store.</summary>
    /// <param name="dataSource">The data source the store opens its own connections from (claims, outcomes, admin, schema).</param>
    /// <param name="options">The options; identifiers are validated here, before any SQL is built.</param>
    /// <param name="timeProvider">The clock of the admin operations ("now" for statistics and requeue); <see langword="null"/> for <see cref="TimeProvider.System"/>.</param>
    /// <exception cref="ArgumentException">An identifier in <paramref name="options"/> is not valid.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><see cref="OutboxStoreOptions.CommandTimeout"/> or <see cref="PostgreSqlOutboxOptions.FillFactor"/> is out of range.</exception>
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

        if (!PostgreSqlOutboxOptions.IsValidFillFactor(options.FillFactor))
        {
            throw new ArgumentOutOfRangeException(nameof(options), options.FillFactor, PostgreSqlOutboxOptions.FillFactorRangeMessage);
        }

        _dataSource = dataSource;
        _timeProvider = timeProvider ?? TimeProvider.System;
        _commandTimeoutSeconds = options.CommandTimeout is { } t ? (int)Math.Ceiling(t.TotalSeconds) : null;
        if (!PostgreSqlOutboxOptionsValidator.IsValidNotificationCooldown(options.NotificationCooldown))
        {
            throw new ArgumentOutOfRangeException(
                nameof(options), options.NotificationCooldown, "PostgreSqlOutboxOptions.NotificationCooldown must be between zero and 1 second.");
        }

        _notificationLimiter = options.UseNotifications
            ? NotificationLimiter.ForChannel(_notificationChannel, options.NotificationCooldown, _timeProvider)
            : null;
        _asynchronousBookkeeping = options.AsynchronousBookkeepingCommit;
        _schemaName = schema;

        var indexes = new PostgreSqlOutboxIndexNames(
            Due: IndexName(table, "due_idx"),
            DeadLetter: IndexName(table, "dead_letter_idx"),
            Sent: IndexName(table, "sent_idx"),
            Aggregate: IndexName(table, "aggregate_idx"));
        DueIndexName = indexes.Due;
        SentIndexName = indexes.Sent;
        AggregateIndexName = indexes.Aggregate;
        string qSchema = Quote(schema);
        _schemaObjects =
        [
            qSchema + "." + Quote(table), qSchema + "." + Quote(indexes.Due), qSchema + "." + Quote(indexes.DeadLetter),
            qSchema + "." + Quote(indexes.Sent), qSchema + "." + Quote(indexes.Aggregate),
        ];
        _sentIndexName = _schemaObjects[3];
        _schemaLockKey = StableHash("OrderOutbox.EnsureSchema:" + schema + "." + table);
        _sql = new PostgreSqlOutboxSql(schema, table, indexes, options.FillFactor);
    }

    /// <summary>Every statement of this store, for one table (for tests).</summary>
    internal PostgreSqlOutboxSql Sql => _sql;

    /// <summary>The claim statement (for plan tests).</summary>
    internal string ClaimSql => _sql.Claim;

    /// <summary>The per-aggregate claim statement, dead letters holding their aggregate (for plan tests).</summary>
    internal string ClaimPerAggregateSql => _sql.ClaimPerAggregate;

    /// <summary>The name of the partial index of unfinished records by aggregate (for plan tests).</summary>
    internal string AggregateIndexName { get; }

    /// <summary>The name of the partial index of due records (for plan tests).</summary>
    internal string DueIndexName { get; }

    /// <summary>The statistics statement (for plan tests): $1 now, $2 the qualified name of the SENT index.</summary>
    internal string StatisticsSql => _sql.Statistics;

    /// <summary>The qualified, quoted name of the partial index of SENT records (the statistics' $2).</summary>
    internal string QualifiedSentIndexName => _sentIndexName;

    /// <summary>The purge statement, one batch (for plan tests).</summary>
    internal string PurgeSql => _sql.PurgeSent;

    /// <summary>The name of the partial index of sent records (for plan tests).</summary>
    internal string SentIndexName { get; }

    /// <summary>The schema script as shipped (with its <c>{{schema}}</c>, <c>{{table}}</c> and index placeholders).</summary>
    /// <returns>The script text.</returns>
    public static string GetSchemaScript() => PostgreSqlOutboxSql.LoadSchemaScript();

    /// <inheritdoc/>
    public async Task EnqueueAsync(DbTransaction transaction, OutboxEntry entry, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(transaction);
        ArgumentNullException.ThrowIfNull(entry);
        OutboxEntryRules.Validate(entry, nameof(entry));
        NpgsqlConnection connection = OpenConnectionOf(transaction);

        NpgsqlCommand command = CreateEnqueueCommand(_sql.Insert, connection, (NpgsqlTransaction)transaction);
        using var commandScope = command;
        command.Parameters.Add(new NpgsqlParameter<Guid> { TypedValue = entry.Id });
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = entry.MessageType });
        command.Parameters.Add(new NpgsqlParameter { Value = (object?)entry.AggregateId ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Text });
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = entry.Payload, NpgsqlDbType = NpgsqlDbType.Text });
        command.Parameters.Add(new NpgsqlParameter { Value = (object?)StorableText.Escape(entry.Headers) ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Text });
        command.Parameters.Add(new NpgsqlParameter<DateTimeOffset> { TypedValue = entry.CreatedAt.ToUniversalTime() });
        if (_notificationLimiter?.ShouldNotify() == true)
        {
            // At most one enqueue per cooldown carries the notification (see PostgreSqlOutboxOptions.NotificationCooldown).
            command.CommandText = _sql.InsertNotify;
            command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = _notificationChannel });
        }

        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// At most this many payload characters go into one bulk statement; a larger batch is written by several statements
    /// on the same transaction, so no single protocol message nears PostgreSQL's 1 GB limit.
    /// </summary>
    private const long BulkMaxPayloadCharsPerStatement = 64L * 1024 * 1024;

    /// <summary>An enqueue command on the caller's transaction, with a clear error when that transaction has ended.</summary>
    private static NpgsqlCommand CreateEnqueueCommand(string sql, NpgsqlConnection connection, NpgsqlTransaction transaction)
    {
        try
        {
            return new NpgsqlCommand(sql, connection, transaction);
        }
        catch (InvalidOperationException ex)
        {
            // Npgsql keeps Connection set on a committed or rolled-back transaction and refuses it here.
            throw new ArgumentException(
                "The transaction is already committed or rolled back: enqueue on the open transaction of the business change, before CommitAsync.",
                nameof(transaction),
                ex);
        }
    }

    /// <summary>The bulk insert statement (for tests).</summary>
    internal string BulkInsertSqlText => _sql.InsertMany;

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

        bool notify = _notificationLimiter?.ShouldNotify() == true;
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

        // As the single enqueue: the caller's connection decides the command timeout.
        NpgsqlCommand command = CreateEnqueueCommand(notify ? _sql.InsertManyNotify : _sql.InsertMany, connection, transaction);
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
            ClaimOrdering.Unordered => _sql.Claim,
            ClaimOrdering.PerAggregate => _sql.ClaimPerAggregate,
            ClaimOrdering.PerAggregateContinueAfterDeadLetter => _sql.ClaimPerAggregateContinue,
            _ => throw new ArgumentOutOfRangeException(nameof(ordering), ordering, "Unknown ClaimOrdering."),
        };
        ArgumentException.ThrowIfNullOrEmpty(leaseOwner);

        NpgsqlConnection connection = await _dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using (connection.ConfigureAwait(false))
        {
            using NpgsqlBatch batch = CreateBookkeepingBatch(connection, sql, out NpgsqlBatchCommand command);
            command.Parameters.Add(new NpgsqlParameter<DateTimeOffset> { TypedValue = now.ToUniversalTime() });
            command.Parameters.Add(new NpgsqlParameter<int> { TypedValue = batchSize });
            command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = leaseOwner });
            command.Parameters.Add(new NpgsqlParameter<DateTimeOffset> { TypedValue = leaseUntil.ToUniversalTime() });
            NpgsqlDataReader reader = await batch.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            List<OutboxMessage> claimed;
            await using (reader.ConfigureAwait(false))
            {
                claimed = await ReadMessagesAsync(reader, batchSize, cancellationToken).ConfigureAwait(false);
            }

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
            using NpgsqlBatch batch = CreateBookkeepingBatch(connection, _sql.Complete, out NpgsqlBatchCommand command);
            command.Parameters.Add(new NpgsqlParameter<Guid[]> { TypedValue = ids });
            command.Parameters.Add(new NpgsqlParameter<string[]> { TypedValue = owners });
            command.Parameters.Add(new NpgsqlParameter<string[]> { TypedValue = statuses });
            command.Parameters.Add(new NpgsqlParameter<int[]> { TypedValue = retryCounts });
            command.Parameters.Add(new NpgsqlParameter<DateTimeOffset[]> { TypedValue = attemptedAt });
            command.Parameters.Add(new NpgsqlParameter<DateTimeOffset[]> { TypedValue = completedAt });
            command.Parameters.Add(new NpgsqlParameter<DateTimeOffset?[]> { TypedValue = nextAttemptAt });
            command.Parameters.Add(new NpgsqlParameter<string?[]> { TypedValue = errors });

            var written = new HashSet<Guid>();
            NpgsqlDataReader reader = await batch.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
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
            using NpgsqlBatch batch = CreateBookkeepingBatch(connection, _sql.Release, out NpgsqlBatchCommand command);
            command.Parameters.Add(new NpgsqlParameter<Guid[]> { TypedValue = [.. ids] });
            command.Parameters.Add(new NpgsqlParameter<string[]> { TypedValue = [.. owners] });
            await batch.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
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
                using (NpgsqlCommand command = CreateCommand(connection, _sql.SchemaLock))
                {
                    command.Parameters.Add(new NpgsqlParameter<long> { TypedValue = _schemaLockKey });
                    await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
                }

                bool schemaExists;
                using (NpgsqlCommand command = CreateCommand(connection, _sql.SchemaNamespaceExists))
                {
                    command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = _schemaName });
                    schemaExists = (bool)(await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false))!;
                }

                if (!schemaExists)
                {
                    using NpgsqlCommand command = CreateCommand(connection, _sql.CreateSchema);
                    await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
                }

                using (NpgsqlCommand command = CreateCommand(connection, _sql.Schema))
                {
                    await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
                }

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
            using NpgsqlCommand command = CreateCommand(connection, _sql.Statistics);
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
            using NpgsqlCommand command = CreateCommand(connection, _sql.Get);
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
            using NpgsqlCommand command = CreateCommand(connection, _sql.Requeue);
            command.Parameters.Add(new NpgsqlParameter<Guid> { TypedValue = id });
            command.Parameters.Add(new NpgsqlParameter<DateTimeOffset> { TypedValue = now.ToUniversalTime() });
            return await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false) > 0;
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
            using NpgsqlCommand command = CreateCommand(connection, _sql.CountDeadLetters);
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
            using NpgsqlCommand command = CreateCommand(connection, after is null ? _sql.ListFilteredDeadLetters : _sql.ListFilteredDeadLettersAfter);
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
                    using NpgsqlCommand command = CreateCommand(connection, after is null ? _sql.Replay : _sql.ReplayAfter);
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
        long total = 0;
        NpgsqlConnection connection = await _dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using (connection.ConfigureAwait(false))
        {
            while (true)
            {
                cancellationToken.ThrowIfCancellationRequested();
                int deleted;
                using (NpgsqlCommand command = CreateCommand(connection, _sql.PurgeSent))
                {
                    command.Parameters.Add(new NpgsqlParameter<DateTimeOffset> { TypedValue = sentBefore.ToUniversalTime() });
                    command.Parameters.Add(new NpgsqlParameter<int> { TypedValue = batchSize });
                    deleted = await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
                }

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

    /// <summary>Adds $1 to $8 of <see cref="PostgreSqlOutboxSql.DeadLetterFilter"/>, typed, NULL for a condition that is not set.</summary>
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

    /// <summary>
    /// A batch of one bookkeeping statement (a claim, outcomes, a release) on the store's own connection, followed by
    /// <see cref="PostgreSqlOutboxSql.AsynchronousCommit"/> when <see cref="PostgreSqlOutboxOptions.AsynchronousBookkeepingCommit"/>
    /// is on: one round trip, one implicit transaction that commits without waiting for the WAL flush.
    /// </summary>
    internal NpgsqlBatch CreateBookkeepingBatch(NpgsqlConnection connection, string sql, out NpgsqlBatchCommand command)
    {
        var batch = new NpgsqlBatch(connection);
        if (_commandTimeoutSeconds is { } seconds)
        {
            batch.Timeout = seconds;
        }

        command = new NpgsqlBatchCommand(sql);
        batch.BatchCommands.Add(command);
        if (_asynchronousBookkeeping)
        {
            batch.BatchCommands.Add(new NpgsqlBatchCommand(_sql.AsynchronousCommit));
        }

        return batch;
    }

    private static async Task<List<OutboxMessage>> ReadMessagesAsync(NpgsqlCommand command, int capacity, CancellationToken cancellationToken)
    {
        NpgsqlDataReader reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        await using (reader.ConfigureAwait(false))
        {
            return await ReadMessagesAsync(reader, capacity, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Reads the current result set of <paramref name="reader"/> (columns in <see cref="PostgreSqlOutboxSql.Columns"/> order).</summary>
    private static async Task<List<OutboxMessage>> ReadMessagesAsync(NpgsqlDataReader reader, int capacity, CancellationToken cancellationToken)
    {
        var messages = new List<OutboxMessage>(Math.Min(capacity, 1024));
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

        return messages;
    }

    private async Task<bool> SchemaExistsAsync(NpgsqlConnection connection, CancellationToken cancellationToken)
    {
        using NpgsqlCommand command = CreateCommand(connection, _sql.SchemaExists);
        foreach (string name in _schemaObjects)
        {
            command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = name });
        }

        command.Parameters.Add(new NpgsqlParameter<string[]> { TypedValue = [.. _sql.StorageParameters] });
        return (bool)(await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false))!;
    }

    private static string Quote(string validatedIdentifier) => "\"" + validatedIdentifier + "\"";

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
}
