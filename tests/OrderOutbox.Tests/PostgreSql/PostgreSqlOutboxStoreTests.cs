using FluentAssertions;
using Microsoft.Extensions.Time.Testing;
using Npgsql;
using OrderOutbox.PostgreSql;
using Xunit;

namespace OrderOutbox.Tests.PostgreSql;

/// <summary>PostgreSQL-only properties of the store: the plan of the claim, column types, the shipped script.</summary>
public sealed class PostgreSqlOutboxStoreTests(PostgreSqlOutboxStoreFixture fixture) : IClassFixture<PostgreSqlOutboxStoreFixture>
{
    private static readonly DateTimeOffset T0 = new(2030, 1, 1, 0, 0, 0, TimeSpan.Zero);

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task The_claim_reads_the_partial_index_of_due_records()
    {
        PostgreSqlOutboxStore store = fixture.CreatePostgreSqlStore(null, null, out _);
        await store.EnsureSchemaAsync(Ct);

        string plan = await ExplainClaimAsync(store.ClaimSql);

        plan.Should().Contain(store.DueIndexName, "the inner query's WHERE matches the partial index predicate");
    }

    [Fact]
    public async Task The_per_aggregate_claim_reads_the_due_index_and_probes_the_aggregate_index()
    {
        PostgreSqlOutboxStore store = fixture.CreatePostgreSqlStore(null, null, out _);
        await store.EnsureSchemaAsync(Ct);

        string plan = await ExplainClaimAsync(store.ClaimPerAggregateSql);

        plan.Should().Contain(store.DueIndexName, "the candidates come from the due-records index")
            .And.Contain("Index Only Scan using " + store.AggregateIndexName, "the earlier-unfinished check is one index-only probe of the aggregate index per candidate")
            .And.NotContain("Seq Scan");
    }

    [Fact]
    public async Task EnsureSchema_adds_the_aggregate_index_to_a_table_created_without_it_and_keeps_the_rows()
    {
        PostgreSqlOutboxStore store = fixture.CreatePostgreSqlStore(null, null, out PostgreSqlOutboxOptions options);
        await store.EnsureSchemaAsync(Ct);
        await fixture.ExecuteScalarAsync($"DROP INDEX \"{fixture.Schema}\".\"{store.AggregateIndexName}\"", Ct);
        await fixture.ExecuteScalarAsync(
            $"INSERT INTO \"{fixture.Schema}\".\"{options.TableName}\" (id, message_type, aggregate_id, payload, next_attempt_at, created_at) " +
            "VALUES (gen_random_uuid(), 't', 'order-1', '{}', now(), now())", Ct);

        await store.EnsureSchemaAsync(Ct);

        (await fixture.ExecuteScalarAsync(
            $"SELECT count(*) FROM pg_indexes WHERE schemaname = '{fixture.Schema}' AND indexname = '{store.AggregateIndexName}'", Ct)).Should().Be(1L);
        (await store.GetStatisticsAsync(Ct)).Pending.Should().Be(1);
    }

    [Fact]
    public async Task The_table_keeps_the_payload_as_text_and_checks_the_status()
    {
        PostgreSqlOutboxStore store = fixture.CreatePostgreSqlStore(null, null, out PostgreSqlOutboxOptions options);
        await store.EnsureSchemaAsync(Ct);

        object? payloadType = await fixture.ExecuteScalarAsync(
            $"SELECT data_type FROM information_schema.columns WHERE table_schema = '{fixture.Schema}' AND table_name = '{options.TableName}' AND column_name = 'payload'", Ct);
        payloadType.Should().Be("text");

        Func<Task> badStatus = () => fixture.ExecuteScalarAsync(
            $"INSERT INTO \"{fixture.Schema}\".\"{options.TableName}\" (id, message_type, payload, status, next_attempt_at, created_at) " +
            "VALUES (gen_random_uuid(), 't', '{}', 'DONE', now(), now())", Ct);
        (await badStatus.Should().ThrowAsync<PostgresException>()).Which.SqlState.Should().Be(PostgresErrorCodes.CheckViolation);
    }

    [Fact]
    public async Task EnsureSchema_creates_a_missing_schema()
    {
        string schema = "oo_new_" + Guid.NewGuid().ToString("N")[..12];
        PostgreSqlOutboxStore store = fixture.CreatePostgreSqlStore(o => o.Schema = schema, null, out _);
        try
        {
            await store.EnsureSchemaAsync(Ct);

            (await fixture.ExecuteScalarAsync($"SELECT count(*) FROM pg_namespace WHERE nspname = '{schema}'", Ct)).Should().Be(1L);
            (await store.GetStatisticsAsync(Ct)).Pending.Should().Be(0);
        }
        finally
        {
            await fixture.ExecuteScalarAsync($"DROP SCHEMA IF EXISTS \"{schema}\" CASCADE", Ct);
        }
    }

    [Fact]
    public async Task The_purge_reads_the_partial_index_of_sent_records()
    {
        PostgreSqlOutboxStore store = fixture.CreatePostgreSqlStore(null, null, out _);
        await store.EnsureSchemaAsync(Ct);

        string text = await ExplainAsync(
            store.PurgeSql.Replace("@sentBefore", "$1", StringComparison.Ordinal).Replace("@batchSize", "$2", StringComparison.Ordinal),
            new NpgsqlParameter<DateTimeOffset> { TypedValue = T0 },
            new NpgsqlParameter<int> { TypedValue = 2_000 });

        text.Should().Contain(store.SentIndexName, "the batch's WHERE matches the partial index predicate").And.Contain("LockRows");
        store.PurgeSql.Should().Contain("FOR UPDATE SKIP LOCKED");
    }

    [Fact]
    public async Task The_purge_skips_rows_another_transaction_has_locked()
    {
        PostgreSqlOutboxStore store = fixture.CreatePostgreSqlStore(null, null, out PostgreSqlOutboxOptions options);
        await store.EnsureSchemaAsync(Ct);
        DateTimeOffset old = T0 - TimeSpan.FromDays(10);
        var ids = new List<Guid>();
        for (int i = 0; i < 3; i++)
        {
            ids.Add(await SentRecordAsync(store, old.AddMinutes(i)));
        }

        // Another session (an operator's query, a replay) holds a row lock on the oldest SENT record.
        await using NpgsqlConnection holder = await fixture.DataSource.OpenConnectionAsync(Ct);
        await using NpgsqlTransaction held = await holder.BeginTransactionAsync(Ct);
        await using (var lockRow = new NpgsqlCommand($"SELECT id FROM \"{fixture.Schema}\".\"{options.TableName}\" WHERE id = $1 FOR UPDATE", holder, held)
        {
            Parameters = { new NpgsqlParameter<Guid> { TypedValue = ids[0] } },
        })
        {
            (await lockRow.ExecuteScalarAsync(Ct)).Should().Be(ids[0]);
        }

        using var bounded = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        bounded.CancelAfter(TimeSpan.FromSeconds(20));
        long deleted = await store.PurgeSentAsync(T0, 2, bounded.Token);

        deleted.Should().Be(2, "the locked row is skipped, not waited for");
        (await store.GetAsync(ids[0], Ct)).Should().NotBeNull();
        (await store.GetAsync(ids[1], Ct)).Should().BeNull();
        (await store.GetAsync(ids[2], Ct)).Should().BeNull();
        await held.RollbackAsync(Ct);
        (await store.PurgeSentAsync(T0, 2, Ct)).Should().Be(1);
    }

    [Fact]
    public void The_schema_script_is_embedded_with_its_placeholders()
    {
        string script = PostgreSqlOutboxStore.GetSchemaScript();

        script.Should().Contain("CREATE TABLE IF NOT EXISTS {{schema}}.{{table}}")
            .And.Contain("payload         text")
            .And.Contain("WHERE status IN ('PENDING', 'FAILED')");
    }

    [Fact]
    public void A_hostile_notification_channel_is_rejected_when_the_store_is_built()
    {
        Action act = () => fixture.CreatePostgreSqlStore(o => o.NotificationChannel = "c; drop table y", null, out _);

        act.Should().Throw<ArgumentException>().Which.Message.Should().Contain("PostgreSqlOutboxOptions.NotificationChannel");
    }

    [Fact]
    public async Task Without_notifications_enqueue_sends_none()
    {
        string channel = "oo_quiet_" + Guid.NewGuid().ToString("N")[..12];
        PostgreSqlOutboxStore store = fixture.CreatePostgreSqlStore(o => { o.UseNotifications = false; o.NotificationChannel = channel; }, null, out _);
        await store.EnsureSchemaAsync(Ct);
        await using NpgsqlConnection listening = await fixture.DataSource.OpenConnectionAsync(Ct);
        var received = new List<string>();
        listening.Notification += (_, e) => received.Add(e.Payload);
        await using (var listen = new NpgsqlCommand($"LISTEN \"{channel}\"", listening))
        {
            await listen.ExecuteNonQueryAsync(Ct);
        }

        await using (NpgsqlConnection connection = await fixture.DataSource.OpenConnectionAsync(Ct))
        await using (NpgsqlTransaction transaction = await connection.BeginTransactionAsync(Ct))
        {
            await store.EnqueueAsync(transaction, new OutboxEntry(Guid.NewGuid(), "t", null, "{}", null, DateTimeOffset.UnixEpoch), Ct);
            await transaction.CommitAsync(Ct);
        }

        await using (var marker = fixture.DataSource.CreateCommand($"SELECT pg_notify('{channel}', 'marker')"))
        {
            await marker.ExecuteNonQueryAsync(Ct);
        }

        while (received.Count == 0)
        {
            await listening.WaitAsync(Ct).WaitAsync(TimeSpan.FromSeconds(15), Ct);
        }

        received.Should().Equal("marker");
    }

    [Theory]
    [InlineData(5, 1)]   // the default-sized cooldown on a clock that does not move: only the first enqueue notifies
    [InlineData(0, 3)]   // zero: every enqueue notifies
    public async Task Within_the_notification_cooldown_only_the_first_enqueue_notifies(int cooldownMs, int expectedNotifications)
    {
        string channel = "oo_cool_" + Guid.NewGuid().ToString("N")[..12];
        var clock = new FakeTimeProvider();
        PostgreSqlOutboxStore store = fixture.CreatePostgreSqlStore(
            o => { o.NotificationChannel = channel; o.NotificationCooldown = TimeSpan.FromMilliseconds(cooldownMs); }, clock, out PostgreSqlOutboxOptions options);
        await store.EnsureSchemaAsync(Ct);
        await using NpgsqlConnection listening = await fixture.DataSource.OpenConnectionAsync(Ct);
        var received = new List<string>();
        listening.Notification += (_, e) => received.Add(e.Payload);
        await using (var listen = new NpgsqlCommand($"LISTEN \"{channel}\"", listening))
        {
            await listen.ExecuteNonQueryAsync(Ct);
        }

        for (int i = 0; i < 3; i++)
        {
            await using NpgsqlConnection connection = await fixture.DataSource.OpenConnectionAsync(Ct);
            await using NpgsqlTransaction transaction = await connection.BeginTransactionAsync(Ct);
            await store.EnqueueAsync(transaction, new OutboxEntry(Guid.NewGuid(), "t", null, "{}", null, DateTimeOffset.UnixEpoch), Ct);
            await transaction.CommitAsync(Ct);
        }

        // After the cooldown, the next enqueue notifies again.
        clock.Advance(TimeSpan.FromMilliseconds(cooldownMs));
        await using (NpgsqlConnection connection = await fixture.DataSource.OpenConnectionAsync(Ct))
        await using (NpgsqlTransaction transaction = await connection.BeginTransactionAsync(Ct))
        {
            await store.EnqueueAsync(transaction, new OutboxEntry(Guid.NewGuid(), "t", null, "{}", null, DateTimeOffset.UnixEpoch), Ct);
            await transaction.CommitAsync(Ct);
        }

        await using (var marker = fixture.DataSource.CreateCommand($"SELECT pg_notify('{channel}', 'marker')"))
        {
            await marker.ExecuteNonQueryAsync(Ct);
        }

        while (!received.Contains("marker"))
        {
            await listening.WaitAsync(Ct).WaitAsync(TimeSpan.FromSeconds(15), Ct);
        }

        received.Count(p => p.Length == 0).Should().Be(expectedNotifications + 1, "one more after the cooldown");
        (await fixture.ExecuteScalarAsync($"SELECT count(*) FROM \"{fixture.Schema}\".\"{options.TableName}\"", Ct))
            .Should().Be(4L, "every enqueue wrote its record, notified or not");
    }

    private async Task<Guid> SentRecordAsync(PostgreSqlOutboxStore store, DateTimeOffset at)
    {
        var entry = new OutboxEntry(MessageId.NewId(at), "order.completed", "o-1", "{}", null, at);
        await using (NpgsqlConnection connection = await fixture.DataSource.OpenConnectionAsync(Ct))
        await using (NpgsqlTransaction transaction = await connection.BeginTransactionAsync(Ct))
        {
            await store.EnqueueAsync(transaction, entry, Ct);
            await transaction.CommitAsync(Ct);
        }

        OutboxMessage claimed = (await store.ClaimAsync(1, "setup-" + entry.Id, at, at.AddMinutes(5), Ct)).Single();
        (await store.CompleteAsync([new OutboxOutcome(claimed.Id, claimed.LeaseOwner!, OutboxStatus.Sent, 0, at, at, null, null)], Ct)).Should().BeEmpty();
        return entry.Id;
    }

    /// <summary>The plan of <paramref name="sql"/> with sequential scans priced out, one line per plan node.</summary>
    private Task<string> ExplainClaimAsync(string claimSql) => ExplainAsync(
        claimSql,
        new NpgsqlParameter<DateTimeOffset> { TypedValue = DateTimeOffset.UnixEpoch },
        new NpgsqlParameter<int> { TypedValue = 10 },
        new NpgsqlParameter<string> { TypedValue = "owner" },
        new NpgsqlParameter<DateTimeOffset> { TypedValue = DateTimeOffset.UnixEpoch });

    private async Task<string> ExplainAsync(string sql, params NpgsqlParameter[] parameters)
    {
        await using NpgsqlConnection connection = await fixture.DataSource.OpenConnectionAsync(Ct);
        await using (var off = new NpgsqlCommand("SET enable_seqscan = off", connection))
        {
            await off.ExecuteNonQueryAsync(Ct);
        }

        await using var explain = new NpgsqlCommand("EXPLAIN " + sql, connection);
        explain.Parameters.AddRange(parameters);
        var plan = new List<string>();
        await using (NpgsqlDataReader reader = await explain.ExecuteReaderAsync(Ct))
        {
            while (await reader.ReadAsync(Ct))
            {
                plan.Add(reader.GetString(0));
            }
        }

        return string.Join('\n', plan);
    }
}
