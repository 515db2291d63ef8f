using FluentAssertions;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Npgsql;
using OrderOutbox.PostgreSql;
using OrderOutbox.Tests.PostgreSql;
using Xunit;

namespace OrderOutbox.Tests.Hosting;

/// <summary>
/// The host's shutdown timeout fires while calls hang: before <c>StopAsync</c> returns every lease this instance holds
/// is released (the container disposes the data source right after).
/// </summary>
public sealed class ForcedShutdownPostgreSqlTests(PostgreSqlOutboxStoreFixture fixture) : IClassFixture<PostgreSqlOutboxStoreFixture>
{
    private CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task After_a_forced_stop_and_dispose_no_row_is_left_leased()
    {
        PostgreSqlOutboxStore setup = fixture.CreatePostgreSqlStore(null, null, out PostgreSqlOutboxOptions tableOptions);
        await setup.EnsureSchemaAsync(Ct);
        DateTimeOffset createdAt = DateTimeOffset.UtcNow.AddMinutes(-1);
        await using (NpgsqlConnection connection = await fixture.DataSource.OpenConnectionAsync(Ct))
        await using (NpgsqlTransaction transaction = await connection.BeginTransactionAsync(Ct))
        {
            for (int i = 0; i < 10; i++)
            {
                await setup.EnqueueAsync(transaction, new OutboxEntry(MessageId.NewId(createdAt), "order.completed", "order-" + i, "{}", null, createdAt), Ct);
            }

            await transaction.CommitAsync(Ct);
        }

        var dispatcher = new BlockingDispatcher();
        HostApplicationBuilder builder = Host.CreateApplicationBuilder();
        builder.Logging.ClearProviders();
        builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = TimeSpan.FromMilliseconds(500));
        builder.Services.AddSingleton<IDispatcher>(dispatcher);
        builder.Services
            .AddOrderOutbox(o => { o.BatchSize = 10; o.MaxConcurrency = 2; o.DispatchTimeout = TimeSpan.FromSeconds(20); })
            .UsePostgreSql(fixture.ConnectionString, pg =>
            {
                pg.Schema = fixture.Schema;
                pg.TableName = tableOptions.TableName;
                pg.UseNotifications = false;
            });

        IHost host = builder.Build();
        await host.StartAsync(Ct);
        await dispatcher.TwoStarted.Task.WaitAsync(TimeSpan.FromSeconds(30), Ct);
        (await CountLeasedAsync(tableOptions.TableName)).Should().Be(10, "ten records are claimed: two in flight, eight waiting");

        var stopwatch = System.Diagnostics.Stopwatch.StartNew();
        await host.StopAsync(CancellationToken.None);
        stopwatch.Stop();
        host.Dispose();
        TestContext.Current.TestOutputHelper?.WriteLine($"forced shutdown: StopAsync took {stopwatch.ElapsedMilliseconds} ms with a 500 ms host shutdown timeout");

        (await CountLeasedAsync(tableOptions.TableName)).Should().Be(0, "every lease is released before StopAsync returns");
        dispatcher.Cancelled.Should().Be(2, "the calls in flight were cancelled within the shutdown timeout");
        stopwatch.Elapsed.Should().BeLessThan(TimeSpan.FromSeconds(5.5), "cancelled at the host's 500 ms timeout, then at most 5 s of cleanup");
    }

    private async Task<long> CountLeasedAsync(string table)
    {
        await using NpgsqlCommand command = fixture.DataSource.CreateCommand($"SELECT count(*) FROM \"{fixture.Schema}\".\"{table}\" WHERE locked_by IS NOT NULL");
        return (long)(await command.ExecuteScalarAsync(Ct))!;
    }

    /// <summary>A dispatcher whose calls block until they are cancelled.</summary>
    private sealed class BlockingDispatcher : IDispatcher
    {
        private int _started;
        private int _cancelled;

        public TaskCompletionSource TwoStarted { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public int Cancelled => Volatile.Read(ref _cancelled);

        public async ValueTask<DispatchResult> DispatchAsync(OutboxMessage message, CancellationToken cancellationToken)
        {
            if (Interlocked.Increment(ref _started) == 2)
            {
                TwoStarted.TrySetResult();
            }

            try
            {
                await Task.Delay(Timeout.InfiniteTimeSpan, cancellationToken);
            }
            catch (OperationCanceledException)
            {
                Interlocked.Increment(ref _cancelled);
                throw;
            }

            return DispatchResult.Success;
        }
    }
}
