using FluentAssertions;
using Npgsql;
using OrderOutbox.PostgreSql;
using Xunit;

namespace OrderOutbox.Tests.PostgreSql;

/// <summary>
/// The PostgreSQL store's work per message: the table's storage parameters (fillfactor for HOT lease updates, autovacuum),
/// applied to new and existing tables, and the bookkeeping that commits without waiting for the WAL flush.
/// </summary>
public sealed class PostgreSqlBookkeepingTests(PostgreSqlOutboxStoreFixture fixture) : IClassFixture<PostgreSqlOutboxStoreFixture>
{
    private static readonly DateTimeOffset T0 = new(2030, 1, 1, 0, 0, 0, TimeSpan.Zero);

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_new_table_gets_the_fillfactor_and_the_autovacuum_settings()
    {
        PostgreSqlOutboxStore store = fixture.CreatePostgreSqlStore(null, null, out PostgreSqlOutboxOptions options);

        await store.EnsureSchemaAsync(Ct);

        (await ReloptionsAsync(options.TableName)).Should().BeEquivalentTo(
            $"fillfactor={PostgreSqlOutboxOptions.DefaultFillFactor}", "autovacuum_vacuum_scale_factor=0.02", "autovacuum_analyze_scale_factor=0.02");
    }

    [Fact]
    public async Task EnsureSchema_applies_a_changed_fillfactor_to_an_existing_table_and_keeps_its_rows()
    {
        PostgreSqlOutboxStore first = fixture.CreatePostgreSqlStore(o => o.FillFactor = 100, null, out PostgreSqlOutboxOptions options);
        await first.EnsureSchemaAsync(Ct);
        var id = Guid.NewGuid();
        await EnqueueAsync(first, id);
        string table = options.TableName;

        PostgreSqlOutboxStore second = fixture.CreatePostgreSqlStore(o => { o.TableName = table; o.FillFactor = 70; }, null, out _);
        await second.EnsureSchemaAsync(Ct);

        (await ReloptionsAsync(table)).Should().Contain("fillfactor=70");
        (await second.GetAsync(id, Ct)).Should().NotBeNull("ALTER TABLE … SET changes storage parameters without touching rows");
    }

    [Fact]
    public async Task EnsureSchema_brings_a_version_01_table_to_the_storage_parameters()
    {
        string table = "v01_" + Guid.NewGuid().ToString("N")[..12];
        await fixture.CreateVersion01TableAsync(table, Ct);
        PostgreSqlOutboxStore store = fixture.CreatePostgreSqlStore(o => o.TableName = table, null, out _);

        await store.EnsureSchemaAsync(Ct);

        (await ReloptionsAsync(table)).Should().Contain($"fillfactor={PostgreSqlOutboxOptions.DefaultFillFactor}");
    }

    [Fact]
    public async Task With_free_space_on_the_page_the_claim_writes_its_lease_on_the_same_page()
    {
        // A HOT update needs its new row version on the same page (and no indexed column changed, which the claim's
        // SET locked_by, locked_until guarantees). A claim writes the lease of every row of a page in one statement, so
        // the page needs room for all of them: ~1.6 KB rows at fillfactor 50 are two per page with room for two more.
        // With fillfactor 100 the pages are full and the versions move.
        PostgreSqlOutboxStore store = fixture.CreatePostgreSqlStore(o => o.FillFactor = 50, null, out PostgreSqlOutboxOptions options);
        await store.EnsureSchemaAsync(Ct);
        for (int i = 0; i < 40; i++)
        {
            await EnqueueAsync(store, Guid.NewGuid(), payloadLength: 1500);
        }

        Dictionary<Guid, long> before = await PagesAsync(options.TableName);
        IReadOnlyList<OutboxMessage> claimed = await store.ClaimAsync(40, "owner", T0, T0.AddMinutes(5), Ct);
        Dictionary<Guid, long> after = await PagesAsync(options.TableName);

        claimed.Should().HaveCount(40);
        after.Should().Equal(before, "each lease version stays on its row's page");
    }

    [Fact]
    public async Task Bookkeeping_commits_asynchronously_by_default_and_only_in_its_own_transaction()
    {
        PostgreSqlOutboxStore store = fixture.CreatePostgreSqlStore(null, null, out _);
        await using NpgsqlDataSource single = NpgsqlDataSource.Create(new NpgsqlConnectionStringBuilder(fixture.ConnectionString) { MaxPoolSize = 1 }.ConnectionString);
        await using NpgsqlConnection connection = await single.OpenConnectionAsync(Ct);

        (await SettingInBookkeepingBatchAsync(store, connection)).Should().Be("off");
        await using var after = new NpgsqlCommand("SHOW synchronous_commit", connection);
        (await after.ExecuteScalarAsync(Ct)).Should().Be("on", "the setting is local to the bookkeeping transaction, never left on a pooled session");
    }

    [Fact]
    public async Task Bookkeeping_waits_for_the_flush_when_the_option_is_off()
    {
        PostgreSqlOutboxStore store = fixture.CreatePostgreSqlStore(o => o.AsynchronousBookkeepingCommit = false, null, out _);
        await using NpgsqlConnection connection = await fixture.DataSource.OpenConnectionAsync(Ct);

        (await SettingInBookkeepingBatchAsync(store, connection)).Should().Be("on");
    }

    [Fact]
    public async Task Claims_outcomes_and_releases_still_work_with_asynchronous_commit()
    {
        PostgreSqlOutboxStore store = fixture.CreatePostgreSqlStore(null, null, out _);
        await store.EnsureSchemaAsync(Ct);
        Guid sent = Guid.NewGuid();
        Guid released = Guid.NewGuid();
        await EnqueueAsync(store, sent);
        await EnqueueAsync(store, released);

        IReadOnlyList<OutboxMessage> claimed = await store.ClaimAsync(10, "owner", T0, T0.AddMinutes(5), Ct);
        OutboxMessage toSend = claimed.Single(m => m.Id == sent);
        IReadOnlyCollection<Guid> rejected = await store.CompleteAsync([OutboxOutcome.Sent(toSend, T0, T0)], Ct);
        await store.ReleaseAsync([claimed.Single(m => m.Id == released)], Ct);

        rejected.Should().BeEmpty();
        (await store.GetAsync(sent, Ct))!.Status.Should().Be(OutboxStatus.Sent);
        (await store.GetAsync(released, Ct))!.LeaseOwner.Should().BeNull();
    }

    [Theory]
    [InlineData(9)]
    [InlineData(101)]
    [InlineData(0)]
    public void The_store_refuses_a_fillfactor_out_of_range(int fillFactor)
    {
        Action act = () => fixture.CreatePostgreSqlStore(o => o.FillFactor = fillFactor, null, out _);

        act.Should().Throw<ArgumentOutOfRangeException>().Which.Message.Should().Contain("PostgreSqlOutboxOptions.FillFactor");
    }

    /// <summary>Runs the store's bookkeeping batch around a statement that reads the setting, as the commit sees it.</summary>
    private static async Task<string> SettingInBookkeepingBatchAsync(PostgreSqlOutboxStore store, NpgsqlConnection connection)
    {
        using NpgsqlBatch batch = store.CreateBookkeepingBatch(connection, "SELECT 1", out _);
        batch.BatchCommands.Add(new NpgsqlBatchCommand("SELECT current_setting('synchronous_commit')"));
        await using NpgsqlDataReader reader = await batch.ExecuteReaderAsync(Ct);
        string? last = null;
        do
        {
            while (await reader.ReadAsync(Ct))
            {
                last = reader.GetValue(0)?.ToString();
            }
        }
        while (await reader.NextResultAsync(Ct));

        return last!;
    }

    private async Task EnqueueAsync(PostgreSqlOutboxStore store, Guid id, int payloadLength = 8)
    {
        await using NpgsqlConnection connection = await fixture.DataSource.OpenConnectionAsync(Ct);
        await using NpgsqlTransaction transaction = await connection.BeginTransactionAsync(Ct);
        string payload = "{\"n\":\"" + new string('x', payloadLength) + "\"}";
        await store.EnqueueAsync(transaction, new OutboxEntry(id, "t", null, payload, null, T0), Ct);
        await transaction.CommitAsync(Ct);
    }

    private async Task<string[]> ReloptionsAsync(string table)
        => (string[])(await fixture.ExecuteScalarAsync(
            $"SELECT reloptions FROM pg_catalog.pg_class WHERE oid = to_regclass('\"{fixture.Schema}\".\"{table}\"')", Ct))!;

    private async Task<Dictionary<Guid, long>> PagesAsync(string table)
    {
        await using NpgsqlCommand command = fixture.DataSource.CreateCommand(
            $"SELECT id, (ctid::text::point)[0]::bigint FROM \"{fixture.Schema}\".\"{table}\"");
        await using NpgsqlDataReader reader = await command.ExecuteReaderAsync(Ct);
        var pages = new Dictionary<Guid, long>();
        while (await reader.ReadAsync(Ct))
        {
            pages[reader.GetGuid(0)] = reader.GetInt64(1);
        }

        return pages;
    }
}
