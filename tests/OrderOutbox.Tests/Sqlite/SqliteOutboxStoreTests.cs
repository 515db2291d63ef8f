using System.Collections.Concurrent;
using System.Data.Common;
using FluentAssertions;
using Microsoft.Data.Sqlite;
using NSubstitute;
using OrderOutbox.Sqlite;
using Xunit;

namespace OrderOutbox.Tests.Sqlite;

/// <summary>What is specific to SQLite: WAL, busy waiting, the partial index, tick-exact times, its options.</summary>
public sealed class SqliteOutboxStoreTests(SqliteTestDatabase database) : IClassFixture<SqliteTestDatabase>
{
    private static readonly DateTimeOffset T0 = new(2030, 1, 1, 0, 0, 0, TimeSpan.Zero);

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task EnsureSchema_turns_on_write_ahead_logging()
    {
        SqliteOutboxStore store = await CreateStoreAsync();

        (await database.ExecuteScalarAsync("PRAGMA journal_mode", Ct)).Should().Be("wal");
        await EnqueueAsync(store, Entry(T0));
        (await store.GetStatisticsAsync(Ct)).Pending.Should().Be(1);
    }

    [Fact]
    public async Task Store_connections_wait_for_the_write_lock_instead_of_failing_busy()
    {
        SqliteOutboxStore store = await CreateStoreAsync(o => o.CommandTimeout = TimeSpan.FromSeconds(12));

        await using SqliteConnection connection = await store.OpenAsync(Ct);
        await using SqliteCommand command = connection.CreateCommand();
        command.CommandText = "PRAGMA busy_timeout";

        (await command.ExecuteScalarAsync(Ct)).Should().Be(12_000L);
        connection.DefaultTimeout.Should().Be(12);
    }

    [Fact]
    public async Task The_claim_reads_the_partial_index_of_due_records()
    {
        string table = SqliteTestDatabase.NewTableName("plan");
        SqliteOutboxStore store = await CreateStoreAsync(o => o.TableName = table);

        List<string> plan = await ExplainQueryPlanAsync(
            store.Sql.Claim, ("@lease_owner", "o"), ("@lease_until", 1L), ("@now", 1L), ("@batch_size", 10));

        plan.Should().Contain(line => line.Contains($"ix_{table}_due", StringComparison.Ordinal), string.Join(" | ", plan));
        plan.Should().NotContain(line => line.StartsWith($"SCAN {table}", StringComparison.Ordinal) && !line.Contains("INDEX", StringComparison.Ordinal));
    }

    [Fact]
    public async Task The_purge_reads_the_partial_index_of_sent_records()
    {
        string table = SqliteTestDatabase.NewTableName("purge");
        SqliteOutboxStore store = await CreateStoreAsync(o => o.TableName = table);

        List<string> plan = await ExplainQueryPlanAsync(store.Sql.PurgeSent, ("@sent_before", 1L), ("@batch_size", 2_000));

        plan.Should().Contain(line => line.Contains($"ix_{table}_sent", StringComparison.Ordinal), string.Join(" | ", plan));
    }

    [Fact]
    public async Task EnsureSchema_adds_the_sent_index_to_a_table_created_without_it_and_keeps_its_rows()
    {
        string table = SqliteTestDatabase.NewTableName("upgrade");
        SqliteOutboxStore store = await CreateStoreAsync(o => o.TableName = table);
        await database.ExecuteScalarAsync($"DROP INDEX \"ix_{table}_sent\"", Ct); // a table as version 0.1.0 created it
        OutboxEntry entry = Entry(T0);
        await EnqueueAsync(store, entry);

        await store.EnsureSchemaAsync(Ct);

        (await database.ExecuteScalarAsync($"SELECT count(*) FROM sqlite_master WHERE type = 'index' AND name = 'ix_{table}_sent'", Ct)).Should().Be(1L);
        (await store.GetAsync(entry.Id, Ct)).Should().NotBeNull();
    }

    [Fact]
    public async Task Times_round_trip_to_the_tick_and_due_comparisons_are_exact()
    {
        SqliteOutboxStore store = await CreateStoreAsync();
        DateTimeOffset created = new DateTimeOffset(2030, 6, 1, 12, 30, 15, TimeSpan.FromHours(9)).AddTicks(1234567);
        OutboxEntry entry = Entry(created);
        await EnqueueAsync(store, entry);

        (await store.ClaimAsync(10, "early", created.AddTicks(-1), created.AddMinutes(1), Ct)).Should().BeEmpty();
        OutboxMessage claimed = (await store.ClaimAsync(10, "on-time", created, created.AddMinutes(1).AddTicks(7), Ct)).Should().ContainSingle().Subject;

        claimed.CreatedAt.Should().Be(created);
        claimed.CreatedAt.UtcTicks.Should().Be(created.UtcTicks);
        claimed.NextAttemptAt.Should().Be(created);
        claimed.LeaseExpiresAt.Should().Be(created.AddMinutes(1).AddTicks(7));
        (await database.ExecuteScalarAsync($"SELECT created_at FROM \"{store.Sql.Table}\" WHERE id = '{entry.Id:D}'", Ct))
            .Should().Be(created.UtcTicks, "times are stored as INTEGER UTC ticks");
        (await database.ExecuteScalarAsync($"SELECT typeof(id) || ':' || id FROM \"{store.Sql.Table}\"", Ct))
            .Should().Be("text:" + entry.Id.ToString("D"), "IDs are stored as canonical lower-case text");
    }

    [Fact]
    public async Task Four_writers_and_four_claimers_on_separate_connections_all_succeed()
    {
        const int writers = 4, claimers = 4, perWriter = 60;
        SqliteOutboxStore store = await CreateStoreAsync();
        var sent = new ConcurrentBag<Guid>();
        var enqueued = new ConcurrentBag<Guid>();
        int writersRunning = writers;

        async Task WriteAsync()
        {
            await Task.Yield();
            for (int i = 0; i < perWriter; i++)
            {
                OutboxEntry entry = Entry(T0);
                await EnqueueAsync(store, entry);
                enqueued.Add(entry.Id);
            }

            Interlocked.Decrement(ref writersRunning);
        }

        async Task ClaimAsync(int claimer)
        {
            await Task.Yield();
            for (int round = 0; ; round++)
            {
                bool writersDone = Volatile.Read(ref writersRunning) == 0;
                string owner = $"claimer-{claimer}-{round}";
                IReadOnlyList<OutboxMessage> batch = await store.ClaimAsync(7, owner, T0, T0.AddMinutes(5), Ct);
                if (batch.Count == 0)
                {
                    if (writersDone)
                    {
                        return;
                    }

                    await Task.Yield();
                    continue;
                }

                var outcomes = batch.Select(m => new OutboxOutcome(m.Id, owner, OutboxStatus.Sent, 0, T0, T0, null, null)).ToList();
                (await store.CompleteAsync(outcomes, Ct)).Should().BeEmpty();
                foreach (OutboxMessage message in batch)
                {
                    sent.Add(message.Id);
                }
            }
        }

        await Task.WhenAll(
            Enumerable.Range(0, writers).Select(_ => Task.Run(WriteAsync, Ct))
                .Concat(Enumerable.Range(0, claimers).Select(i => Task.Run(() => ClaimAsync(i), Ct))));

        enqueued.Should().HaveCount(writers * perWriter);
        sent.Should().OnlyHaveUniqueItems().And.BeEquivalentTo(enqueued);
        (await store.GetStatisticsAsync(Ct)).Should().Be(new OutboxStatistics(), "every record was sent: no backlog, no dead letter, and SQLite has no SENT estimate");
    }

    [Fact]
    public async Task Enqueue_names_the_expected_transaction_type()
    {
        SqliteOutboxStore store = await CreateStoreAsync();
        DbTransaction foreign = Substitute.For<DbTransaction>();

        Func<Task> act = () => store.EnqueueAsync(foreign, Entry(T0), Ct);

        (await act.Should().ThrowAsync<ArgumentException>()).Which.Message.Should().Contain("SqliteTransaction");
    }

    [Fact]
    public async Task Enqueue_after_commit_is_rejected()
    {
        SqliteOutboxStore store = await CreateStoreAsync();
        await using SqliteConnection connection = await database.OpenAsync(Ct);
        await using var transaction = (SqliteTransaction)await connection.BeginTransactionAsync(Ct);
        await transaction.CommitAsync(Ct);

        Func<Task> act = () => store.EnqueueAsync(transaction, Entry(T0), Ct);

        (await act.Should().ThrowAsync<ArgumentException>()).Which.Message.Should().Contain("no open connection");
    }

    [Theory]
    [InlineData("schema")]
    [InlineData("connection")]
    [InlineData("timeout")]
    [InlineData("table")]
    public void Invalid_options_are_rejected_by_the_constructor_naming_the_option(string problem)
    {
        var options = new SqliteOutboxOptions { ConnectionString = database.ConnectionString };
        string expected;
        switch (problem)
        {
            case "schema":
                options.Schema = "main";
                expected = "SqliteOutboxOptions.Schema";
                break;
            case "connection":
                options.ConnectionString = " ";
                expected = "SqliteOutboxOptions.ConnectionString";
                break;
            case "timeout":
                options.CommandTimeout = TimeSpan.Zero;
                expected = "SqliteOutboxOptions.CommandTimeout";
                break;
            default:
                options.TableName = "outbox\"; DROP TABLE x; --";
                expected = "SqliteOutboxOptions.TableName";
                break;
        }

        Action act = () => _ = new SqliteOutboxStore(options);

        act.Should().Throw<ArgumentException>().Which.Message.Should().Contain(expected);
    }

    [Fact]
    public void The_schema_script_is_embedded_with_only_the_table_placeholder()
    {
        string script = SqliteOutboxSql.LoadSchemaScript();

        script.Should().Contain("CREATE TABLE IF NOT EXISTS \"$(OutboxTable)\"")
            .And.Contain("PRAGMA journal_mode = WAL")
            .And.Contain("WHERE status IN ('PENDING', 'FAILED')");
        script.Replace(SqliteOutboxSql.TableToken, string.Empty, StringComparison.Ordinal).Should().NotContain("$(");
        new SqliteOutboxStore(new SqliteOutboxOptions { ConnectionString = database.ConnectionString, TableName = "abc" }).Sql.Schema
            .Should().Contain("CREATE TABLE IF NOT EXISTS \"abc\"").And.NotContain("$(");
    }

    private async Task<SqliteOutboxStore> CreateStoreAsync(Action<SqliteOutboxOptions>? configure = null)
    {
        var options = new SqliteOutboxOptions { ConnectionString = database.ConnectionString, TableName = SqliteTestDatabase.NewTableName() };
        configure?.Invoke(options);
        var store = new SqliteOutboxStore(options);
        await store.EnsureSchemaAsync(Ct);
        return store;
    }

    private async Task EnqueueAsync(SqliteOutboxStore store, OutboxEntry entry)
    {
        await using SqliteConnection connection = await database.OpenAsync(Ct);
        await using DbTransaction transaction = await connection.BeginTransactionAsync(Ct);
        await store.EnqueueAsync(transaction, entry, Ct);
        await transaction.CommitAsync(Ct);
    }

    private static OutboxEntry Entry(DateTimeOffset createdAt)
        => new(MessageId.NewId(createdAt), "order.completed", "order-1", """{"orderId":"o-1"}""", null, createdAt);

    /// <summary>The detail column of SQLite's <c>EXPLAIN QUERY PLAN</c> for <paramref name="sql"/>.</summary>
    private async Task<List<string>> ExplainQueryPlanAsync(string sql, params (string Name, object Value)[] parameters)
    {
        await using SqliteConnection connection = await database.OpenAsync(Ct);
        await using SqliteCommand command = connection.CreateCommand();
        command.CommandText = "EXPLAIN QUERY PLAN " + sql;
        foreach ((string name, object value) in parameters)
        {
            command.Parameters.AddWithValue(name, value);
        }

        var plan = new List<string>();
        await using SqliteDataReader reader = await command.ExecuteReaderAsync(Ct);
        while (await reader.ReadAsync(Ct))
        {
            plan.Add(reader.GetString(3));
        }

        return plan;
    }
}
