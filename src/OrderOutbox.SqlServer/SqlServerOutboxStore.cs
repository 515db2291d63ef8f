using System.Buffers;
using System.Data;
using System.Data.Common;
using System.Globalization;
using System.Text;
using System.Text.Json;
using Dapper;
using Microsoft.Data.SqlClient;
using OrderOutbox.Storage;

namespace OrderOutbox.SqlServer;

/// <summary>
/// The SQL Server outbox store (Microsoft.Data.SqlClient + Dapper): one table clustered on an ever-increasing
/// <c>seq</c>, leased claims with <c>UPDLOCK, READPAST, ROWLOCK, READCOMMITTEDLOCK</c> in a <c>TOP … ORDER BY</c> CTE with
/// <c>OUTPUT</c>, outcomes fenced by the claim token (compared binary), and the admin operations.
/// </summary>
/// <remarks>
/// <para>Outcomes and releases of a batch are written in one round trip: the batch is sent as one JSON array
/// parameter and joined with <c>OPENJSON</c> (SQL Server 2016+, database compatibility level 130+), so the schema
/// needs no user-defined table type; <c>OUTPUT inserted.id</c> tells which outcomes the fence accepted.</para>
/// <para>Requires the SqlClient defaults <c>QUOTED_IDENTIFIER</c> and <c>ANSI_NULLS</c> ON (filtered indexes).
/// The store opens a pooled connection per operation; it is thread-safe and meant to be a singleton.</para>
/// </remarks>
public sealed class SqlServerOutboxStore : IOutboxStore, IOutboxAdmin
{
    private readonly DbDataSource? _dataSource;
    private readonly string? _connectionString;
    private readonly int _commandTimeoutSeconds;
    private readonly TimeProvider _timeProvider;
    private readonly SqlServerOutboxSql _sql;

    /// <summary>Creates a store over the database and table that <paramref name="options"/> name.</summary>
    /// <param name="options">The store options; <see cref="OutboxStoreOptions.ConnectionString"/> is required.</param>
    /// <param name="timeProvider">The clock for the admin operations ("due now"); <see langword="null"/> for <see cref="TimeProvider.System"/>.</param>
    /// <exception cref="ArgumentException">An option is invalid (the message names it).</exception>
    public SqlServerOutboxStore(SqlServerOutboxOptions options, TimeProvider? timeProvider = null)
        : this(null, options, timeProvider, requireConnectionString: true)
    {
    }

    /// <summary>Creates a store that opens its connections from <paramref name="dataSource"/>.</summary>
    /// <param name="dataSource">
    /// A data source of SQL Server connections, for example
    /// <c>SqlClientFactory.Instance.CreateDataSource(connectionString)</c>.
    /// </param>
    /// <param name="options">The store options (<see cref="OutboxStoreOptions.ConnectionString"/> is ignored).</param>
    /// <param name="timeProvider">The clock for the admin operations; <see langword="null"/> for <see cref="TimeProvider.System"/>.</param>
    /// <exception cref="ArgumentException">An option is invalid, or the data source does not create <see cref="SqlConnection"/>s.</exception>
    public SqlServerOutboxStore(DbDataSource dataSource, SqlServerOutboxOptions options, TimeProvider? timeProvider = null)
        : this(dataSource ?? throw new ArgumentNullException(nameof(dataSource)), options, timeProvider, requireConnectionString: false)
    {
    }

    private SqlServerOutboxStore(DbDataSource? dataSource, SqlServerOutboxOptions options, TimeProvider? timeProvider, bool requireConnectionString)
    {
        ArgumentNullException.ThrowIfNull(options);
        var schema = SqlIdentifier.Validate(options.Schema ?? SqlServerOutboxOptions.DefaultSchema, "SqlServerOutboxOptions.Schema");
        var table = SqlIdentifier.Validate(options.TableName, "SqlServerOutboxOptions.TableName");
        var errors = SqlServerOutboxOptionsValidator.Collect(options, requireConnectionString);
        if (errors.Count > 0)
        {
            throw new ArgumentException(string.Join(" ", errors), nameof(options));
        }

        if (dataSource is not null)
        {
            using var probe = dataSource.CreateConnection();
            if (probe is not SqlConnection)
            {
                throw new ArgumentException(
                    $"The SQL Server outbox store needs a data source of Microsoft.Data.SqlClient connections, but it creates {probe.GetType().FullName}.",
                    nameof(dataSource));
            }

            _dataSource = dataSource;
        }
        else
        {
            _connectionString = options.ConnectionString;
        }

        TimeSpan commandTimeout = options.CommandTimeout ?? SqlServerOutboxOptions.DefaultCommandTimeout;
        _commandTimeoutSeconds = (int)Math.Ceiling(commandTimeout.TotalSeconds);
        _timeProvider = timeProvider ?? TimeProvider.System;
        _sql = new SqlServerOutboxSql(schema, table, commandTimeout);
    }

    /// <summary>The statements of this store, for tests.</summary>
    internal SqlServerOutboxSql Sql => _sql;

    /// <inheritdoc />
    /// <exception cref="ArgumentException">
    /// <paramref name="transaction"/> is not a <see cref="SqlTransaction"/>, or its connection is not open.
    /// </exception>
    public async Task EnqueueAsync(DbTransaction transaction, OutboxEntry entry, CancellationToken cancellationToken = default)
    {
        SqlTransaction sqlTransaction = StoreTransaction.RequireForEnqueue<SqlTransaction>(transaction, entry, "SQL Server");
        SqlConnection connection = sqlTransaction.Connection!;

        var parameters = new
        {
            id = entry.Id,
            message_type = entry.MessageType,
            aggregate_id = entry.AggregateId,
            payload = entry.Payload,
            headers = StorableText.Escape(entry.Headers),
            created_at = entry.CreatedAt.ToUniversalTime(),
        };
        await connection.ExecuteAsync(new CommandDefinition(_sql.Insert, parameters, sqlTransaction, _commandTimeoutSeconds, cancellationToken: cancellationToken))
            .ConfigureAwait(false);
    }

    /// <inheritdoc />
    /// <remarks>
    /// One <c>INSERT … SELECT FROM OPENJSON(@entries)</c> per <see cref="InsertManyRows"/> records (a single nvarchar(max)
    /// parameter, so SQL Server's 2,100-parameter limit never applies), on the caller's transaction.
    /// </remarks>
    /// <exception cref="ArgumentException">
    /// <paramref name="transaction"/> is not a <see cref="SqlTransaction"/>, or its connection is not open; or an entry breaks
    /// <see cref="OutboxEntryRules"/> (the message names its index) — checked before any SQL runs.
    /// </exception>
    public async Task EnqueueManyAsync(DbTransaction transaction, IReadOnlyList<OutboxEntry> entries, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(transaction);
        OutboxEntryRules.ValidateBatch(entries, nameof(entries));
        SqlTransaction sqlTransaction = StoreTransaction.Require<SqlTransaction>(transaction, "SQL Server");
        SqlConnection connection = sqlTransaction.Connection!;
        for (int start = 0; start < entries.Count; start += InsertManyRows)
        {
            string json = EntriesJson(entries, start, Math.Min(InsertManyRows, entries.Count - start));
            await connection.ExecuteAsync(new CommandDefinition(
                    _sql.InsertMany, new { entries = LongText(json) }, sqlTransaction, _commandTimeoutSeconds, cancellationToken: cancellationToken))
                .ConfigureAwait(false);
        }
    }

    /// <summary>Records per bulk insert statement.</summary>
    internal const int InsertManyRows = 1000;

    /// <summary>Serialises entries as the JSON array that <see cref="SqlServerOutboxSql.InsertManyTemplate"/> reads.</summary>
    /// <param name="entries">The entries.</param>
    /// <param name="start">The first entry to write.</param>
    /// <param name="count">How many to write.</param>
    /// <returns>The JSON text.</returns>
    internal static string EntriesJson(IReadOnlyList<OutboxEntry> entries, int start, int count)
    {
        var buffer = new ArrayBufferWriter<byte>(count * 256);
        using (var writer = new Utf8JsonWriter(buffer, new JsonWriterOptions { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            writer.WriteStartArray();
            for (int i = start; i < start + count; i++)
            {
                OutboxEntry entry = entries[i];
                writer.WriteStartObject();
                writer.WriteString("id", entry.Id);
                writer.WriteString("type", entry.MessageType);
                if (entry.AggregateId is { } aggregateId)
                {
                    writer.WriteString("aggregate", aggregateId);
                }

                writer.WriteString("payload", entry.Payload);
                if (StorableText.Escape(entry.Headers) is { } headers)
                {
                    writer.WriteString("headers", headers);
                }

                writer.WriteString("created", TimeText(entry.CreatedAt));
                writer.WriteEndObject();
            }

            writer.WriteEndArray();
        }

        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    /// <inheritdoc />
    public Task<IReadOnlyList<OutboxMessage>> ClaimAsync(int batchSize, string leaseOwner, DateTimeOffset now, DateTimeOffset leaseUntil, CancellationToken cancellationToken = default)
        => ClaimAsync(batchSize, leaseOwner, now, leaseUntil, ClaimOrdering.Unordered, cancellationToken);

    /// <inheritdoc />
    public async Task<IReadOnlyList<OutboxMessage>> ClaimAsync(
        int batchSize, string leaseOwner, DateTimeOffset now, DateTimeOffset leaseUntil, ClaimOrdering ordering, CancellationToken cancellationToken = default)
    {
        string sql = _sql.ClaimFor(ordering, batchSize, leaseOwner);

        var parameters = new
        {
            batch_size = batchSize,
            now = now.ToUniversalTime(),
            lease_owner = leaseOwner,
            lease_until = leaseUntil.ToUniversalTime(),
        };
        var connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
        await using (connection.ConfigureAwait(false))
        {
            var reader = await connection.ExecuteReaderAsync(Command(sql, parameters, cancellationToken)).ConfigureAwait(false);
            await using (reader.ConfigureAwait(false))
            {
                return await StoredMessages.ReadClaimedAsync(reader, ReadMessage, batchSize, cancellationToken).ConfigureAwait(false);
            }
        }
    }

    /// <inheritdoc />
    /// <remarks>One statement for the whole batch: a JSON array parameter joined with <c>OPENJSON</c>.</remarks>
    public async Task<IReadOnlyCollection<Guid>> CompleteAsync(IReadOnlyList<OutboxOutcome> outcomes, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(outcomes);
        if (outcomes.Count == 0)
        {
            return Array.Empty<Guid>();
        }

        var json = OutcomesJson(outcomes, nameof(outcomes));
        var connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
        await using (connection.ConfigureAwait(false))
        {
            var accepted = new HashSet<Guid>();
            var reader = await connection.ExecuteReaderAsync(Command(_sql.Complete, new { outcomes = LongText(json) }, cancellationToken)).ConfigureAwait(false);
            await using (reader.ConfigureAwait(false))
            {
                while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
                {
                    accepted.Add(reader.GetGuid(0));
                }
            }

            List<Guid>? rejected = null;
            for (var i = 0; i < outcomes.Count; i++)
            {
                if (!accepted.Contains(outcomes[i].Id))
                {
                    (rejected ??= []).Add(outcomes[i].Id);
                }
            }

            return rejected is null ? Array.Empty<Guid>() : rejected;
        }
    }

    /// <inheritdoc />
    /// <remarks>One statement for the whole batch: a JSON array parameter joined with <c>OPENJSON</c>.</remarks>
    public async Task ReleaseAsync(IReadOnlyList<OutboxMessage> messages, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(messages);
        var json = LeasesJson(messages, nameof(messages));
        if (json is null)
        {
            return;
        }

        var connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
        await using (connection.ConfigureAwait(false))
        {
            await connection.ExecuteAsync(Command(_sql.Release, new { leases = LongText(json) }, cancellationToken)).ConfigureAwait(false);
        }
    }

    /// <inheritdoc />
    /// <remarks>
    /// Runs the embedded <c>Schema/outbox.sqlserver.sql</c> as one batch: inside a transaction it takes an exclusive
    /// application lock (<c>sp_getapplock</c>) named after the table, then creates the schema, table and indexes
    /// that do not exist yet.
    /// </remarks>
    public async Task EnsureSchemaAsync(CancellationToken cancellationToken = default)
    {
        var connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
        await using (connection.ConfigureAwait(false))
        {
            await connection.ExecuteAsync(Command(_sql.Schema, null, cancellationToken)).ConfigureAwait(false);
        }
    }

    /// <inheritdoc />
    /// <remarks>
    /// <see cref="OutboxStatistics.SentEstimate"/> is the table's row count from <c>sys.partitions</c> (approximate,
    /// maintained by SQL Server without a scan) minus the exact counts of the other statuses.
    /// </remarks>
    public async Task<OutboxStatistics> GetStatisticsAsync(CancellationToken cancellationToken = default)
    {
        var now = _timeProvider.GetUtcNow();
        var connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
        await using (connection.ConfigureAwait(false))
        {
            var row = await connection.QuerySingleAsync<(long Pending, long Failed, long Due, long Leased, DateTimeOffset? OldestDue, long DeadLetter, long? TableRows)>(
                Command(_sql.Statistics, new { now }, cancellationToken)).ConfigureAwait(false);
            return StoreStatistics.From(now, row.Pending, row.Failed, row.Due, row.Leased, row.DeadLetter, row.OldestDue, row.TableRows);
        }
    }

    /// <inheritdoc />
    public async Task<OutboxMessage?> GetAsync(Guid id, CancellationToken cancellationToken = default)
    {
        var connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
        await using (connection.ConfigureAwait(false))
        {
            var reader = await connection.ExecuteReaderAsync(Command(_sql.Get, new { id }, cancellationToken)).ConfigureAwait(false);
            await using (reader.ConfigureAwait(false))
            {
                return await reader.ReadAsync(cancellationToken).ConfigureAwait(false) ? ReadMessage(reader) : null;
            }
        }
    }

    /// <inheritdoc />
    /// <remarks>
    /// "ID order" is .NET <see cref="Guid"/> order (the canonical text order, which for UUIDv7 is creation order), the
    /// same as the other stores — not SQL Server's native <c>uniqueidentifier</c> order.
    /// </remarks>
    public Task<IReadOnlyList<OutboxMessage>> ListDeadLettersAsync(int limit = 100, Guid? after = null, CancellationToken cancellationToken = default)
        => ListDeadLettersAsync(DeadLetterFilter.All, limit, after, cancellationToken);

    /// <inheritdoc />
    public async Task<bool> RequeueDeadLetterAsync(Guid id, CancellationToken cancellationToken = default)
    {
        var connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
        await using (connection.ConfigureAwait(false))
        {
            var affected = await connection.ExecuteAsync(Command(_sql.Requeue, new { id, now = _timeProvider.GetUtcNow() }, cancellationToken)).ConfigureAwait(false);
            return affected > 0;
        }
    }

    /// <inheritdoc />
    public async Task<int> RequeueAllDeadLettersAsync(CancellationToken cancellationToken = default)
        => DeadLetterReplay.ToInt32(await RequeueDeadLettersAsync(DeadLetterFilter.All, DeadLetterFilter.DefaultBatchSize, null, cancellationToken).ConfigureAwait(false));

    /// <inheritdoc />
    public async Task<long> CountDeadLettersAsync(DeadLetterFilter filter, CancellationToken cancellationToken = default)
    {
        DeadLetterReplay.ValidateFilter(filter);
        var connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
        await using (connection.ConfigureAwait(false))
        {
            return await connection.ExecuteScalarAsync<long>(Command(_sql.CountDeadLetters, FilterParameters(filter), cancellationToken)).ConfigureAwait(false);
        }
    }

    /// <inheritdoc />
    public async Task<IReadOnlyList<OutboxMessage>> ListDeadLettersAsync(
        DeadLetterFilter filter, int limit = 100, Guid? after = null, CancellationToken cancellationToken = default)
    {
        DeadLetterReplay.ValidateListing(filter, limit);
        var parameters = FilterParameters(filter);
        parameters.Add("limit", limit, DbType.Int32);
        parameters.Add("after", after is { } afterId ? IdSortKey(afterId) : null);
        var connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
        await using (connection.ConfigureAwait(false))
        {
            var reader = await connection.ExecuteReaderAsync(Command(_sql.ListFilteredDeadLetters, parameters, cancellationToken)).ConfigureAwait(false);
            await using (reader.ConfigureAwait(false))
            {
                return await StoredMessages.ReadAllAsync(reader, ReadMessage, Math.Min(limit, 128), cancellationToken).ConfigureAwait(false);
            }
        }
    }

    /// <inheritdoc />
    /// <remarks>
    /// Each batch is one autocommit <c>UPDATE TOP (n)</c> of at most 2,000 rows, below SQL Server's lock-escalation
    /// threshold.
    /// </remarks>
    public async Task<long> RequeueDeadLettersAsync(
        DeadLetterFilter filter, int batchSize = DeadLetterFilter.DefaultBatchSize, IProgress<long>? progress = null, CancellationToken cancellationToken = default)
    {
        DeadLetterReplay.Validate(filter, batchSize);
        var started = _timeProvider.GetUtcNow();
        var connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
        await using (connection.ConfigureAwait(false))
        {
            return await DeadLetterReplay.RunAsync(
                progress,
                async (_, ct) =>
                {
                    var parameters = FilterParameters(filter);
                    parameters.Add("limit", batchSize, DbType.Int32);
                    parameters.Add("now", _timeProvider.GetUtcNow(), DbType.DateTimeOffset);
                    parameters.Add("started", started, DbType.DateTimeOffset);
                    var requeued = await connection.QueryAsync<Guid>(Command(_sql.Replay, parameters, ct)).ConfigureAwait(false);
                    return requeued.AsList();
                },
                cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>The parameters of <see cref="SqlServerOutboxSql.DeadLetterFilter"/>; NULL for a condition that is not set.</summary>
    private static DynamicParameters FilterParameters(DeadLetterFilter filter)
    {
        var parameters = new DynamicParameters();
        parameters.Add("message_type", filter.MessageType, DbType.String, size: 200);
        parameters.Add("aggregate_id", filter.AggregateId, DbType.String, size: 450);
        parameters.Add("created_from", filter.CreatedFrom?.ToUniversalTime(), DbType.DateTimeOffset);
        parameters.Add("created_before", filter.CreatedBefore?.ToUniversalTime(), DbType.DateTimeOffset);
        parameters.Add("attempt_from", filter.LastAttemptFrom?.ToUniversalTime(), DbType.DateTimeOffset);
        parameters.Add("attempt_before", filter.LastAttemptBefore?.ToUniversalTime(), DbType.DateTimeOffset);
        parameters.Add("error_text", filter.LastErrorContains, DbType.String, size: DeadLetterFilter.MaxLastErrorTextLength);
        parameters.Add(
            "ids",
            filter.Ids is null ? null : "[\"" + string.Join("\",\"", filter.Ids.Distinct().Select(id => id.ToString("D", CultureInfo.InvariantCulture))) + "\"]",
            DbType.String,
            size: -1);
        return parameters;
    }

    /// <inheritdoc />
    /// <remarks>
    /// Deletes in batches, oldest delivery first, each batch one short autocommit statement that reads the filtered index
    /// <c>IX_&lt;table&gt;_sent</c> and skips rows another session has locked (<c>READPAST</c>). A batch is at most
    /// 2,000 rows (<see cref="OutboxLimits.MaxPurgeBatchSize"/>), below SQL Server's lock-escalation threshold, so the
    /// purge never takes a table lock that would block claims and business inserts.
    /// </remarks>
    public async Task<long> PurgeSentAsync(DateTimeOffset sentBefore, int batchSize = 1000, CancellationToken cancellationToken = default)
    {
        OutboxLimits.ThrowIfPurgeBatchSizeOutOfRange(batchSize, nameof(batchSize));

        var connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
        await using (connection.ConfigureAwait(false))
        {
            long total = 0;
            var parameters = new { batch_size = batchSize, sent_before = sentBefore.ToUniversalTime() };
            while (true)
            {
                cancellationToken.ThrowIfCancellationRequested();
                int deleted = await connection.ExecuteAsync(Command(_sql.PurgeSent, parameters, cancellationToken)).ConfigureAwait(false);
                total += deleted;
                if (deleted < batchSize)
                {
                    return total;
                }
            }
        }
    }

    /// <summary>Serialises outcomes as the JSON array that <see cref="SqlServerOutboxSql.CompleteTemplate"/> reads.</summary>
    /// <param name="outcomes">The outcomes (at least one).</param>
    /// <param name="paramName">The caller's parameter name, for validation errors.</param>
    /// <returns>The JSON text.</returns>
    internal static string OutcomesJson(IReadOnlyList<OutboxOutcome> outcomes, string paramName)
    {
        var buffer = new ArrayBufferWriter<byte>(outcomes.Count * 160);
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartArray();
            for (var i = 0; i < outcomes.Count; i++)
            {
                var outcome = outcomes[i];
                if (outcome.Status is not (OutboxStatus.Sent or OutboxStatus.Failed or OutboxStatus.DeadLetter))
                {
                    throw new ArgumentException($"Outcome of {outcome.Id} has status {outcome.Status}; an outcome is SENT, FAILED or DEAD_LETTER.", paramName);
                }

                if (string.IsNullOrEmpty(outcome.LeaseOwner))
                {
                    throw new ArgumentException($"Outcome of {outcome.Id} has no lease owner; outcomes are fenced by the claim token.", paramName);
                }

                writer.WriteStartObject();
                writer.WriteString("id", outcome.Id);
                writer.WriteString("owner", outcome.LeaseOwner);
                writer.WriteString("status", OutboxStatusText.ToText(outcome.Status));
                writer.WriteNumber("retry", outcome.RetryCount);
                writer.WriteString("attempted", TimeText(outcome.AttemptedAt));
                if (outcome.Status == OutboxStatus.Sent)
                {
                    writer.WriteString("sent", TimeText(outcome.CompletedAt));
                }

                if (outcome.NextAttemptAt is { } next)
                {
                    writer.WriteString("next", TimeText(next));
                }

                if (StorableText.Escape(outcome.LastError) is { } error)
                {
                    writer.WriteString("error", error);
                }

                writer.WriteEndObject();
            }

            writer.WriteEndArray();
        }

        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    /// <summary>Serialises the leases of claimed messages as the JSON array that <see cref="SqlServerOutboxSql.ReleaseTemplate"/> reads.</summary>
    /// <param name="messages">The messages.</param>
    /// <param name="paramName">The caller's parameter name, for validation errors.</param>
    /// <returns>The JSON text, or <see langword="null"/> when no message holds a lease.</returns>
    internal static string? LeasesJson(IReadOnlyList<OutboxMessage> messages, string paramName)
    {
        var buffer = new ArrayBufferWriter<byte>(Math.Max(messages.Count, 1) * 96);
        var any = false;
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartArray();
            for (var i = 0; i < messages.Count; i++)
            {
                var message = messages[i] ?? throw new ArgumentException("The list contains a null message.", paramName);
                if (message.LeaseOwner is null)
                {
                    continue; // not claimed: nothing to release
                }

                writer.WriteStartObject();
                writer.WriteString("id", message.Id);
                writer.WriteString("owner", message.LeaseOwner);
                writer.WriteEndObject();
                any = true;
            }

            writer.WriteEndArray();
        }

        return any ? Encoding.UTF8.GetString(buffer.WrittenSpan) : null;
    }

    /// <summary>
    /// ISO 8601 with seven fractional digits and the UTC offset, which <c>OPENJSON … datetimeoffset(7)</c> converts
    /// exactly whatever the session's language or date format.
    /// </summary>
    private static string TimeText(DateTimeOffset value)
        => value.ToUniversalTime().ToString("yyyy'-'MM'-'dd'T'HH':'mm':'ss'.'fffffffzzz", CultureInfo.InvariantCulture);

    /// <summary>The <see cref="SqlServerOutboxSql.IdSortKey"/> of <paramref name="id"/>: upper-case canonical text as char(36).</summary>
    private static DbString IdSortKey(Guid id) => new()
    {
        Value = id.ToString("D", CultureInfo.InvariantCulture).ToUpperInvariant(),
        IsAnsi = true,
        IsFixedLength = true,
        Length = 36,
    };

    /// <summary>A Unicode (nvarchar) parameter for a JSON batch of any length.</summary>
    private static DbString LongText(string value) => new() { Value = value, IsAnsi = false, IsFixedLength = false, Length = -1 };

    private CommandDefinition Command(string sql, object? parameters, CancellationToken cancellationToken)
        => new(sql, parameters, transaction: null, commandTimeout: _commandTimeoutSeconds, cancellationToken: cancellationToken);

    private async Task<DbConnection> OpenAsync(CancellationToken cancellationToken)
    {
        if (_dataSource is not null)
        {
            return await _dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        }

        var connection = new SqlConnection(_connectionString);
        try
        {
            await connection.OpenAsync(cancellationToken).ConfigureAwait(false);
            return connection;
        }
        catch
        {
            await connection.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    private static DateTimeOffset? NullableTime(DbDataReader reader, int ordinal)
        => reader.IsDBNull(ordinal) ? null : reader.GetFieldValue<DateTimeOffset>(ordinal);

    private static string? NullableText(DbDataReader reader, int ordinal)
        => reader.IsDBNull(ordinal) ? null : reader.GetString(ordinal);

    /// <summary>Reads a row selected with <see cref="SqlServerOutboxSql.Columns"/>.</summary>
    private static OutboxMessage ReadMessage(DbDataReader reader) => new()
    {
        Id = reader.GetGuid(0),
        MessageType = reader.GetString(1),
        AggregateId = NullableText(reader, 2),
        Payload = reader.GetString(3),
        Headers = NullableText(reader, 4),
        Status = OutboxStatusText.Parse(reader.GetString(5)),
        RetryCount = reader.GetInt32(6),
        CreatedAt = reader.GetFieldValue<DateTimeOffset>(7),
        NextAttemptAt = reader.GetFieldValue<DateTimeOffset>(8),
        LastAttemptAt = NullableTime(reader, 9),
        SentAt = NullableTime(reader, 10),
        LastError = NullableText(reader, 11),
        LeaseOwner = NullableText(reader, 12),
        LeaseExpiresAt = NullableTime(reader, 13),
        RequeuedAt = NullableTime(reader, 14),
    };
}
