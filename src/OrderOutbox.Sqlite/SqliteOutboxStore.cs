using System.Data;
using System.Data.Common;
using System.Globalization;
using Dapper;
using Microsoft.Data.Sqlite;
using OrderOutbox.Storage;

namespace OrderOutbox.Sqlite;

/// <summary>
/// The SQLite outbox store (Microsoft.Data.Sqlite): one table, leased claims with <c>UPDATE … RETURNING</c> in an
/// immediate transaction, outcomes fenced by the claim token, and the admin operations.
/// </summary>
/// <remarks>
/// <para>IDs are stored as canonical lower-case UUID text, so text order is UUIDv7 time order; times are stored
/// as INTEGER UTC .NET ticks, so comparisons are exact and indexable (see <c>Schema/outbox.sqlite.sql</c>).</para>
/// <para>SQLite allows one writer at a time. Every write of the store (claim, outcomes, release) is one short
/// <c>BEGIN IMMEDIATE</c> transaction, and each connection waits up to
/// <see cref="OutboxStoreOptions.CommandTimeout"/> for the write lock instead of failing with <c>SQLITE_BUSY</c>.
/// The schema script turns on write-ahead logging (WAL), so readers never wait for the writer.</para>
/// <para>The store opens a pooled connection per operation; it is thread-safe and meant to be a singleton.</para>
/// </remarks>
public sealed class SqliteOutboxStore : IOutboxStore, IOutboxAdmin
{
    private readonly string _connectionString;
    private readonly int _commandTimeoutSeconds;
    private readonly TimeProvider _timeProvider;
    private readonly SqliteOutboxSql _sql;

    /// <summary>Creates a store over the database and table that <paramref name="options"/> name.</summary>
    /// <param name="options">The store options; <see cref="OutboxStoreOptions.ConnectionString"/> is required.</param>
    /// <param name="timeProvider">The clock for the admin operations ("due now"); <see langword="null"/> for <see cref="TimeProvider.System"/>.</param>
    /// <exception cref="ArgumentException">An option is invalid (the message names it).</exception>
    public SqliteOutboxStore(SqliteOutboxOptions options, TimeProvider? timeProvider = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        var table = SqlIdentifier.Validate(options.TableName, "SqliteOutboxOptions.TableName");
        var errors = SqliteOutboxOptionsValidator.Collect(options);
        if (errors.Count > 0)
        {
            throw new ArgumentException(string.Join(" ", errors), nameof(options));
        }

        TimeSpan commandTimeout = options.CommandTimeout ?? SqliteOutboxOptions.DefaultCommandTimeout;
        _commandTimeoutSeconds = (int)Math.Ceiling(commandTimeout.TotalSeconds);
        _connectionString = new SqliteConnectionStringBuilder(options.ConnectionString)
        {
            DefaultTimeout = _commandTimeoutSeconds,
        }.ToString();

        _timeProvider = timeProvider ?? TimeProvider.System;
        _sql = new SqliteOutboxSql(table, commandTimeout);
    }

    /// <summary>The statements of this store, for tests.</summary>
    internal SqliteOutboxSql Sql => _sql;

    /// <inheritdoc />
    /// <exception cref="ArgumentException">
    /// <paramref name="transaction"/> is not a <see cref="SqliteTransaction"/>, or its connection is not open.
    /// </exception>
    public async Task EnqueueAsync(DbTransaction transaction, OutboxEntry entry, CancellationToken cancellationToken = default)
    {
        SqliteTransaction sqliteTransaction = StoreTransaction.RequireForEnqueue<SqliteTransaction>(transaction, entry, "SQLite");
        SqliteConnection connection = sqliteTransaction.Connection!;

        using var command = connection.CreateCommand();
        command.Transaction = sqliteTransaction;
        command.CommandText = _sql.Insert;
        command.Parameters.Add("@id", SqliteType.Text).Value = IdText(entry.Id);
        command.Parameters.Add("@message_type", SqliteType.Text).Value = entry.MessageType;
        command.Parameters.Add("@aggregate_id", SqliteType.Text).Value = (object?)entry.AggregateId ?? DBNull.Value;
        command.Parameters.Add("@payload", SqliteType.Text).Value = entry.Payload;
        command.Parameters.Add("@headers", SqliteType.Text).Value = (object?)StorableText.Escape(entry.Headers) ?? DBNull.Value;
        command.Parameters.Add("@created_at", SqliteType.Integer).Value = entry.CreatedAt.UtcTicks;
        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    /// <remarks>
    /// Multi-row <c>INSERT … VALUES</c> statements of <see cref="SqliteOutboxSql.InsertManyRows"/> rows each (one prepared
    /// statement re-run per full chunk, one more for the rest), on the caller's transaction.
    /// </remarks>
    /// <exception cref="ArgumentException">
    /// <paramref name="transaction"/> is not a <see cref="SqliteTransaction"/>, or its connection is not open; or an entry breaks
    /// <see cref="OutboxEntryRules"/> (the message names its index) — checked before any SQL runs.
    /// </exception>
    public async Task EnqueueManyAsync(DbTransaction transaction, IReadOnlyList<OutboxEntry> entries, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(transaction);
        OutboxEntryRules.ValidateBatch(entries, nameof(entries));
        SqliteTransaction sqliteTransaction = StoreTransaction.Require<SqliteTransaction>(transaction, "SQLite");
        if (entries.Count == 0)
        {
            return;
        }

        SqliteConnection connection = sqliteTransaction.Connection!;
        int full = entries.Count / SqliteOutboxSql.InsertManyRows;
        int start = 0;
        if (full > 0)
        {
            using SqliteCommand command = InsertManyCommand(connection, sqliteTransaction, _sql.InsertManyFull, SqliteOutboxSql.InsertManyRows);
            for (int chunk = 0; chunk < full; chunk++)
            {
                SetInsertManyValues(command, entries, start, SqliteOutboxSql.InsertManyRows);
                await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
                start += SqliteOutboxSql.InsertManyRows;
            }
        }

        int rest = entries.Count - start;
        if (rest > 0)
        {
            using SqliteCommand command = InsertManyCommand(connection, sqliteTransaction, _sql.InsertMany(rest), rest);
            SetInsertManyValues(command, entries, start, rest);
            await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    private static SqliteCommand InsertManyCommand(SqliteConnection connection, SqliteTransaction transaction, string sql, int rows)
    {
        SqliteCommand command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = sql;
        for (int i = 0; i < rows; i++)
        {
            string n = i.ToString(CultureInfo.InvariantCulture);
            command.Parameters.Add("@i" + n, SqliteType.Text);
            command.Parameters.Add("@t" + n, SqliteType.Text);
            command.Parameters.Add("@a" + n, SqliteType.Text);
            command.Parameters.Add("@p" + n, SqliteType.Text);
            command.Parameters.Add("@h" + n, SqliteType.Text);
            command.Parameters.Add("@c" + n, SqliteType.Integer);
        }

        return command;
    }

    private static void SetInsertManyValues(SqliteCommand command, IReadOnlyList<OutboxEntry> entries, int start, int rows)
    {
        SqliteParameterCollection parameters = command.Parameters;
        for (int i = 0; i < rows; i++)
        {
            OutboxEntry entry = entries[start + i];
            int p = i * 6;
            parameters[p].Value = IdText(entry.Id);
            parameters[p + 1].Value = entry.MessageType;
            parameters[p + 2].Value = (object?)entry.AggregateId ?? DBNull.Value;
            parameters[p + 3].Value = entry.Payload;
            parameters[p + 4].Value = (object?)StorableText.Escape(entry.Headers) ?? DBNull.Value;
            parameters[p + 5].Value = entry.CreatedAt.UtcTicks;
        }
    }

    /// <inheritdoc />
    public Task<IReadOnlyList<OutboxMessage>> ClaimAsync(int batchSize, string leaseOwner, DateTimeOffset now, DateTimeOffset leaseUntil, CancellationToken cancellationToken = default)
        => ClaimAsync(batchSize, leaseOwner, now, leaseUntil, ClaimOrdering.Unordered, cancellationToken);

    /// <inheritdoc />
    public async Task<IReadOnlyList<OutboxMessage>> ClaimAsync(
        int batchSize, string leaseOwner, DateTimeOffset now, DateTimeOffset leaseUntil, ClaimOrdering ordering, CancellationToken cancellationToken = default)
    {
        string sql = _sql.ClaimFor(ordering, batchSize, leaseOwner);

        using var connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
        using var transaction = connection.BeginTransaction(deferred: false);
        using var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = sql;
        command.Parameters.Add("@lease_owner", SqliteType.Text).Value = leaseOwner;
        command.Parameters.Add("@lease_until", SqliteType.Integer).Value = leaseUntil.UtcTicks;
        command.Parameters.Add("@now", SqliteType.Integer).Value = now.UtcTicks;
        command.Parameters.Add("@batch_size", SqliteType.Integer).Value = batchSize;

        List<OutboxMessage> claimed;
        using (var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false))
        {
            claimed = await StoredMessages.ReadClaimedAsync(reader, ReadMessage, batchSize, cancellationToken).ConfigureAwait(false);
        }

        transaction.Commit();
        return claimed;
    }

    /// <inheritdoc />
    /// <remarks>
    /// SQLite has no array parameters; the outcomes are written by one prepared statement, re-executed per record
    /// inside one immediate transaction (one lock, one commit, one fsync).
    /// </remarks>
    public async Task<IReadOnlyCollection<Guid>> CompleteAsync(IReadOnlyList<OutboxOutcome> outcomes, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(outcomes);
        if (outcomes.Count == 0)
        {
            return Array.Empty<Guid>();
        }

        for (var i = 0; i < outcomes.Count; i++)
        {
            ValidateOutcome(outcomes[i], nameof(outcomes));
        }

        using var connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
        using var transaction = connection.BeginTransaction(deferred: false);
        using var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = _sql.Complete;
        var id = command.Parameters.Add("@id", SqliteType.Text);
        var owner = command.Parameters.Add("@lease_owner", SqliteType.Text);
        var status = command.Parameters.Add("@status", SqliteType.Text);
        var retryCount = command.Parameters.Add("@retry_count", SqliteType.Integer);
        var attemptedAt = command.Parameters.Add("@attempted_at", SqliteType.Integer);
        var sentAt = command.Parameters.Add("@sent_at", SqliteType.Integer);
        var nextAttemptAt = command.Parameters.Add("@next_attempt_at", SqliteType.Integer);
        var lastError = command.Parameters.Add("@last_error", SqliteType.Text);
        command.Prepare();

        List<Guid>? rejected = null;
        for (var i = 0; i < outcomes.Count; i++)
        {
            var outcome = outcomes[i];
            id.Value = IdText(outcome.Id);
            owner.Value = outcome.LeaseOwner;
            status.Value = OutboxStatusText.ToText(outcome.Status);
            retryCount.Value = outcome.RetryCount;
            attemptedAt.Value = outcome.AttemptedAt.UtcTicks;
            sentAt.Value = outcome.Status == OutboxStatus.Sent ? outcome.CompletedAt.UtcTicks : DBNull.Value;
            nextAttemptAt.Value = outcome.NextAttemptAt is { } next ? next.UtcTicks : DBNull.Value;
            lastError.Value = (object?)StorableText.Escape(outcome.LastError) ?? DBNull.Value;
            if (await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false) == 0)
            {
                (rejected ??= []).Add(outcome.Id);
            }
        }

        transaction.Commit();
        return rejected is null ? Array.Empty<Guid>() : rejected;
    }

    /// <inheritdoc />
    public async Task ReleaseAsync(IReadOnlyList<OutboxMessage> messages, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(messages);
        if (messages.Count == 0)
        {
            return;
        }

        using var connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
        using var transaction = connection.BeginTransaction(deferred: false);
        using var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = _sql.Release;
        var id = command.Parameters.Add("@id", SqliteType.Text);
        var owner = command.Parameters.Add("@lease_owner", SqliteType.Text);
        command.Prepare();
        for (var i = 0; i < messages.Count; i++)
        {
            var message = messages[i];
            ArgumentNullException.ThrowIfNull(message, nameof(messages));
            if (message.LeaseOwner is null)
            {
                continue; // not claimed: nothing to release, and NULL never equals locked_by anyway
            }

            id.Value = IdText(message.Id);
            owner.Value = message.LeaseOwner;
            await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }

        transaction.Commit();
    }

    /// <inheritdoc />
    /// <remarks>
    /// Runs the embedded <c>Schema/outbox.sqlite.sql</c>: <c>PRAGMA journal_mode = WAL</c>, then
    /// <c>CREATE TABLE / INDEX IF NOT EXISTS</c>. Each statement is idempotent and takes SQLite's write lock,
    /// so concurrent runs serialise and the later ones change nothing.
    /// </remarks>
    public async Task EnsureSchemaAsync(CancellationToken cancellationToken = default)
    {
        using var connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
        using (var command = connection.CreateCommand())
        {
            command.CommandText = _sql.Schema;
            await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }

        await MigrateAsync(connection, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Adds the columns a table made by an older script lacks (0.1 → 0.2: <c>requeued_at</c>), in an immediate
    /// transaction so two processes starting at once cannot both add it. Rows are kept as they are.
    /// </summary>
    private async Task MigrateAsync(SqliteConnection connection, CancellationToken cancellationToken)
    {
        using var transaction = connection.BeginTransaction(deferred: false);
        var hasColumn = await connection.ExecuteScalarAsync<long>(
            new CommandDefinition(_sql.HasRequeuedAt, new { table = _sql.Table }, transaction, _commandTimeoutSeconds, cancellationToken: cancellationToken))
            .ConfigureAwait(false);
        if (hasColumn == 0)
        {
            await connection.ExecuteAsync(
                new CommandDefinition(_sql.AddRequeuedAt, transaction: transaction, commandTimeout: _commandTimeoutSeconds, cancellationToken: cancellationToken))
                .ConfigureAwait(false);
        }

        transaction.Commit();
    }

    /// <inheritdoc />
    /// <remarks>SQLite keeps no cheap row estimate: <see cref="OutboxStatistics.SentEstimate"/> is always <see langword="null"/>.</remarks>
    public async Task<OutboxStatistics> GetStatisticsAsync(CancellationToken cancellationToken = default)
    {
        var now = _timeProvider.GetUtcNow();
        using var connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
        var row = await connection.QuerySingleAsync<StatisticsRow>(
            new CommandDefinition(_sql.Statistics, new { now = now.UtcTicks }, commandTimeout: _commandTimeoutSeconds, cancellationToken: cancellationToken))
            .ConfigureAwait(false);
        return StoreStatistics.From(
            now, row.Pending, row.Failed, row.Due, row.Leased, row.DeadLetter, row.OldestDue is { } oldest ? FromTicks(oldest) : null, tableRows: null);
    }

    /// <inheritdoc />
    public async Task<OutboxMessage?> GetAsync(Guid id, CancellationToken cancellationToken = default)
    {
        using var connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
        var command = new CommandDefinition(_sql.Get, new { id = IdText(id) }, commandTimeout: _commandTimeoutSeconds, cancellationToken: cancellationToken);
        using var reader = await connection.ExecuteReaderAsync(command).ConfigureAwait(false);
        return await reader.ReadAsync(cancellationToken).ConfigureAwait(false) ? ReadMessage(reader) : null;
    }

    /// <inheritdoc />
    public Task<IReadOnlyList<OutboxMessage>> ListDeadLettersAsync(int limit = 100, Guid? after = null, CancellationToken cancellationToken = default)
        => ListDeadLettersAsync(DeadLetterFilter.All, limit, after, cancellationToken);

    /// <inheritdoc />
    public async Task<bool> RequeueDeadLetterAsync(Guid id, CancellationToken cancellationToken = default)
    {
        using var connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
        var affected = await connection.ExecuteAsync(
            new CommandDefinition(_sql.Requeue, new { id = IdText(id), now = _timeProvider.GetUtcNow().UtcTicks }, commandTimeout: _commandTimeoutSeconds, cancellationToken: cancellationToken))
            .ConfigureAwait(false);
        return affected > 0;
    }

    /// <inheritdoc />
    public async Task<int> RequeueAllDeadLettersAsync(CancellationToken cancellationToken = default)
        => DeadLetterReplay.ToInt32(await RequeueDeadLettersAsync(DeadLetterFilter.All, DeadLetterFilter.DefaultBatchSize, null, cancellationToken).ConfigureAwait(false));

    /// <inheritdoc />
    public async Task<long> CountDeadLettersAsync(DeadLetterFilter filter, CancellationToken cancellationToken = default)
    {
        DeadLetterReplay.ValidateFilter(filter);
        using var connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
        return await connection.ExecuteScalarAsync<long>(
            new CommandDefinition(_sql.CountDeadLetters, FilterParameters(filter, null), commandTimeout: _commandTimeoutSeconds, cancellationToken: cancellationToken))
            .ConfigureAwait(false);
    }

    /// <inheritdoc />
    public async Task<IReadOnlyList<OutboxMessage>> ListDeadLettersAsync(
        DeadLetterFilter filter, int limit = 100, Guid? after = null, CancellationToken cancellationToken = default)
    {
        DeadLetterReplay.ValidateListing(filter, limit);
        using var connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
        var parameters = FilterParameters(filter, after);
        parameters.Add("limit", limit);
        using var reader = await connection.ExecuteReaderAsync(
            new CommandDefinition(_sql.ListFilteredDeadLetters, parameters, commandTimeout: _commandTimeoutSeconds, cancellationToken: cancellationToken))
            .ConfigureAwait(false);
        return await StoredMessages.ReadAllAsync(reader, ReadMessage, Math.Min(limit, 128), cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    /// <remarks>Each batch is one <c>BEGIN IMMEDIATE</c> transaction of one statement, so writers wait at most one batch.</remarks>
    public async Task<long> RequeueDeadLettersAsync(
        DeadLetterFilter filter, int batchSize = DeadLetterFilter.DefaultBatchSize, IProgress<long>? progress = null, CancellationToken cancellationToken = default)
    {
        DeadLetterReplay.Validate(filter, batchSize);
        using var connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
        return await DeadLetterReplay.RunAsync(
            progress,
            async (after, ct) =>
            {
                var parameters = FilterParameters(filter, after);
                parameters.Add("limit", batchSize);
                parameters.Add("now", _timeProvider.GetUtcNow().UtcTicks);
                using var transaction = connection.BeginTransaction(deferred: false);
                var ids = new List<Guid>(Math.Min(batchSize, 1024));
                using (var reader = await connection.ExecuteReaderAsync(
                    new CommandDefinition(_sql.Replay, parameters, transaction, _commandTimeoutSeconds, cancellationToken: ct)).ConfigureAwait(false))
                {
                    while (await reader.ReadAsync(ct).ConfigureAwait(false))
                    {
                        ids.Add(Guid.Parse(reader.GetString(0)));
                    }
                }

                transaction.Commit();
                return ids;
            },
            cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The parameters of <see cref="SqliteOutboxSql.DeadLetterFilter"/>; NULL for a condition that is not set.</summary>
    private static DynamicParameters FilterParameters(DeadLetterFilter filter, Guid? after)
    {
        var parameters = new DynamicParameters();
        parameters.Add("message_type", filter.MessageType, DbType.String);
        parameters.Add("aggregate_id", filter.AggregateId, DbType.String);
        parameters.Add("created_from", filter.CreatedFrom?.UtcTicks, DbType.Int64);
        parameters.Add("created_before", filter.CreatedBefore?.UtcTicks, DbType.Int64);
        parameters.Add("attempt_from", filter.LastAttemptFrom?.UtcTicks, DbType.Int64);
        parameters.Add("attempt_before", filter.LastAttemptBefore?.UtcTicks, DbType.Int64);
        parameters.Add("error_text", filter.LastErrorContains, DbType.String);
        parameters.Add("ids", filter.Ids is null ? null : "[\"" + string.Join("\",\"", filter.Ids.Distinct().Select(IdText)) + "\"]", DbType.String);
        parameters.Add("after", after is { } a ? IdText(a) : null, DbType.String);
        return parameters;
    }

    /// <inheritdoc />
    /// <remarks>
    /// Deletes in batches, oldest delivery first, through the partial index of sent records; each batch is one short
    /// statement in its own transaction, so writers are never locked out for long.
    /// </remarks>
    public async Task<long> PurgeSentAsync(DateTimeOffset sentBefore, int batchSize = 1000, CancellationToken cancellationToken = default)
    {
        OutboxLimits.ThrowIfPurgeBatchSizeOutOfRange(batchSize, nameof(batchSize));

        using var connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
        using var command = connection.CreateCommand();
        command.CommandText = _sql.PurgeSent;
        command.Parameters.Add("@sent_before", SqliteType.Integer).Value = sentBefore.UtcTicks;
        command.Parameters.Add("@batch_size", SqliteType.Integer).Value = batchSize;
        command.Prepare();

        long total = 0;
        while (true)
        {
            cancellationToken.ThrowIfCancellationRequested();
            int deleted = await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            total += deleted;
            if (deleted < batchSize)
            {
                return total;
            }
        }
    }

    private static void ValidateOutcome(in OutboxOutcome outcome, string paramName)
    {
        if (outcome.Status is not (OutboxStatus.Sent or OutboxStatus.Failed or OutboxStatus.DeadLetter))
        {
            throw new ArgumentException($"Outcome of {outcome.Id} has status {outcome.Status}; an outcome is SENT, FAILED or DEAD_LETTER.", paramName);
        }

        if (string.IsNullOrEmpty(outcome.LeaseOwner))
        {
            throw new ArgumentException($"Outcome of {outcome.Id} has no lease owner; outcomes are fenced by the claim token.", paramName);
        }
    }

    /// <summary>Opens a pooled connection with the busy timeout set (internal for tests).</summary>
    internal async Task<SqliteConnection> OpenAsync(CancellationToken cancellationToken)
    {
        var connection = new SqliteConnection(_connectionString);
        try
        {
            await connection.OpenAsync(cancellationToken).ConfigureAwait(false);
            using var pragma = connection.CreateCommand();
            pragma.CommandText = _sql.BusyTimeout;
            await pragma.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            return connection;
        }
        catch
        {
            await connection.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    private static string IdText(Guid id) => id.ToString("D", CultureInfo.InvariantCulture);

    private static DateTimeOffset FromTicks(long utcTicks) => new(utcTicks, TimeSpan.Zero);

    private static DateTimeOffset? FromNullableTicks(DbDataReader reader, int ordinal)
        => reader.IsDBNull(ordinal) ? null : FromTicks(reader.GetInt64(ordinal));

    private static string? NullableText(DbDataReader reader, int ordinal)
        => reader.IsDBNull(ordinal) ? null : reader.GetString(ordinal);

    /// <summary>Reads a row selected with <see cref="SqliteOutboxSql.Columns"/>.</summary>
    private static OutboxMessage ReadMessage(DbDataReader reader) => new()
    {
        Id = Guid.Parse(reader.GetString(0)),
        MessageType = reader.GetString(1),
        AggregateId = NullableText(reader, 2),
        Payload = reader.GetString(3),
        Headers = NullableText(reader, 4),
        Status = OutboxStatusText.Parse(reader.GetString(5)),
        RetryCount = reader.GetInt32(6),
        CreatedAt = FromTicks(reader.GetInt64(7)),
        NextAttemptAt = FromTicks(reader.GetInt64(8)),
        LastAttemptAt = FromNullableTicks(reader, 9),
        SentAt = FromNullableTicks(reader, 10),
        LastError = NullableText(reader, 11),
        LeaseOwner = NullableText(reader, 12),
        LeaseExpiresAt = FromNullableTicks(reader, 13),
        RequeuedAt = FromNullableTicks(reader, 14),
    };

    /// <summary>A row of <see cref="SqliteOutboxSql.StatisticsTemplate"/>.</summary>
    private sealed class StatisticsRow
    {
        public long Pending { get; init; }

        public long Failed { get; init; }

        public long Due { get; init; }

        public long Leased { get; init; }

        public long? OldestDue { get; init; }

        public long DeadLetter { get; init; }
    }
}
