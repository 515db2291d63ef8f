using System.Collections.Concurrent;
using FluentAssertions;
using Npgsql;
using OrderOutbox.PostgreSql;
using OrderOutbox.Processing;
using OrderOutbox.Tests.PostgreSql;
using OrderOutbox.Tests.Support;
using Xunit;

namespace OrderOutbox.Tests.Processing;

/// <summary>
/// The store's PostgreSQL backends are terminated (<c>pg_terminate_backend</c>) in the middle of a drain: the outcome
/// writes that fail are retried, so every record ends <c>SENT</c> and none is delivered twice.
/// </summary>
public sealed class PostgreSqlOutcomeBlipTests(PostgreSqlOutboxStoreFixture fixture) : IClassFixture<PostgreSqlOutboxStoreFixture>
{
    private CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Terminating_the_stores_backends_mid_run_loses_no_outcome_and_delivers_nothing_twice()
    {
        string applicationName = "oo-blip-" + Guid.NewGuid().ToString("N")[..8];
        var builder = new NpgsqlConnectionStringBuilder(fixture.ConnectionString) { ApplicationName = applicationName };
        await using NpgsqlDataSource dataSource = NpgsqlDataSource.Create(builder.ConnectionString);
        var options = new PostgreSqlOutboxOptions { Schema = fixture.Schema, TableName = "blip_" + Guid.NewGuid().ToString("N")[..8] };
        var store = new PostgreSqlOutboxStore(dataSource, options);
        await store.EnsureSchemaAsync(Ct);
        DateTimeOffset createdAt = DateTimeOffset.UtcNow.AddMinutes(-1);
        await using (NpgsqlConnection connection = await dataSource.OpenConnectionAsync(Ct))
        await using (NpgsqlTransaction transaction = await connection.BeginTransactionAsync(Ct))
        {
            for (int i = 0; i < 60; i++)
            {
                await store.EnqueueAsync(transaction, new OutboxEntry(MessageId.NewId(createdAt), "order.completed", "order-" + i, "{\"n\":" + i + "}", null, createdAt), Ct);
            }

            await transaction.CommitAsync(Ct);
        }

        int terminated = 0;
        var killers = new ConcurrentBag<Task>();
        var attempts = new ConcurrentDictionary<Guid, int>();
        int callCount = 0;
        var dispatcher = new TestDispatcher(TimeProvider.System, async (m, _, _) =>
        {
            // One counter for both workers (MaxConcurrency 2): summing the dictionary let two calls both see 15.
            int calls = Interlocked.Increment(ref callCount) - 1;
            attempts.AddOrUpdate(m.Id, 1, static (_, n) => n + 1);
            if (calls is 15 or 40)
            {
                // Hold this record's row lock from another session, so the store's outcome UPDATE waits on it, then
                // terminate the store's waiting backend mid-statement (an administrator, or a failover).
                NpgsqlConnection blocker = await fixture.DataSource.OpenConnectionAsync(CancellationToken.None);
                NpgsqlTransaction hold = await blocker.BeginTransactionAsync(CancellationToken.None);
                await using (NpgsqlCommand lockRow = new($"SELECT 1 FROM \"{fixture.Schema}\".\"{options.TableName}\" WHERE id = $1 FOR UPDATE", blocker, hold))
                {
                    lockRow.Parameters.AddWithValue(m.Id);
                    await lockRow.ExecuteNonQueryAsync(CancellationToken.None);
                }

                killers.Add(Task.Run(async () =>
                {
                    try
                    {
                        Interlocked.Add(ref terminated, await TerminateWaitingBackendAsync(applicationName));
                    }
                    finally
                    {
                        await hold.RollbackAsync(CancellationToken.None);
                        await blocker.DisposeAsync();
                    }
                }, CancellationToken.None));
            }

            return DispatchResult.Success;
        });
        OutboxProcessor processor = Processors.Create(store, dispatcher, TimeProvider.System, new OutboxOptions { BatchSize = 10, MaxConcurrency = 2 });

        // Cycles as the hosted dispatcher runs them: a failed cycle (a claim that hit a dead connection) is followed by another.
        for (int cycle = 0; cycle < 20; cycle++)
        {
            try
            {
                if (await processor.ProcessOnceAsync(Ct) == 0)
                {
                    break;
                }
            }
            catch (Exception ex) when (ex is NpgsqlException or InvalidOperationException)
            {
            }
        }

        await Task.WhenAll(killers);
        terminated.Should().Be(2, "the store's backend was terminated twice while it wrote outcomes");
        var rows = new List<(string Status, bool Locked)>();
        await using (NpgsqlCommand select = fixture.DataSource.CreateCommand($"SELECT status, locked_by IS NOT NULL FROM \"{fixture.Schema}\".\"{options.TableName}\""))
        await using (NpgsqlDataReader reader = await select.ExecuteReaderAsync(Ct))
        {
            while (await reader.ReadAsync(Ct))
            {
                rows.Add((reader.GetString(0), reader.GetBoolean(1)));
            }
        }

        rows.Should().HaveCount(60);
        rows.Should().OnlyContain(r => r.Status == "SENT" && !r.Locked, "every outcome reached the database despite the terminated connections");
        attempts.Should().HaveCount(60);
        attempts.Values.Should().OnlyContain(n => n == 1, "no record was delivered twice");
        TestContext.Current.TestOutputHelper?.WriteLine($"outcome blip: 60 records, {terminated} backends terminated mid-UPDATE, {rows.Count(r => r.Status == "SENT")} SENT, {attempts.Values.Sum()} attempts");
    }

    /// <summary>Waits until a backend of <paramref name="applicationName"/> waits on a lock, then terminates every backend of it.</summary>
    private async Task<int> TerminateWaitingBackendAsync(string applicationName)
    {
        DateTime deadline = DateTime.UtcNow.AddSeconds(20);
        while (DateTime.UtcNow < deadline)
        {
            await using NpgsqlCommand waiting = fixture.DataSource.CreateCommand(
                "SELECT count(*) FROM pg_stat_activity WHERE application_name = $1 AND wait_event_type = 'Lock'");
            waiting.Parameters.AddWithValue(applicationName);
            if ((long)(await waiting.ExecuteScalarAsync(CancellationToken.None))! > 0)
            {
                await using NpgsqlCommand kill = fixture.DataSource.CreateCommand(
                    "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE application_name = $1 AND wait_event_type = 'Lock'");
                kill.Parameters.AddWithValue(applicationName);
                await kill.ExecuteScalarAsync(CancellationToken.None);
                return 1;
            }

            await Task.Delay(10);
        }

        return 0;
    }
}
