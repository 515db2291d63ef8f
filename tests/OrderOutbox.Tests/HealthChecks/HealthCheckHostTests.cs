using System.Data.Common;
using System.Net;
using FluentAssertions;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using OrderOutbox.Tests.Conformance;
using OrderOutbox.Tests.Support;
using Xunit;

namespace OrderOutbox.Tests.HealthChecks;

/// <summary>
/// The health check in a real ASP.NET Core host against a real database, probed over HTTP: healthy with the counts,
/// degraded by a dead letter, unhealthy when the database cannot be reached or the dispatcher is stuck. One sealed
/// subclass per store.
/// </summary>
/// <typeparam name="TFixture">The store's fixture (a database of its own).</typeparam>
public abstract class HealthCheckHostTests<TFixture>(TFixture fixture) : IClassFixture<TFixture>
    where TFixture : class, IOutboxStoreFixture
{
    protected static CancellationToken Ct => TestContext.Current.CancellationToken;

    protected TFixture Fixture { get; } = fixture;

    [Fact]
    public async Task A_running_outbox_is_healthy_and_a_dead_letter_makes_it_degraded_with_the_counts_in_the_data()
    {
        var deadLettered = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        string table = NewTableName();
        await using HealthCheckHost host = await HealthCheckHost.StartAsync(
            services =>
            {
                services.AddSingleton<IDispatcher>(new TestDispatcher(TimeProvider.System, (m, _) =>
                    m.MessageType == "poison" ? DispatchResult.Permanent("HTTP 400 Bad Request") : DispatchResult.Success));
                services.AddSingleton<IDeadLetterHandler>(new SignallingDeadLetterHandler(deadLettered));
                UseStore(services.AddOrderOutbox(o => o.PollingInterval = TimeSpan.FromMilliseconds(50)), table);
                services.AddHealthChecks().AddOrderOutbox();
            },
            Ct);
        await WaitForACycleAsync(host);

        HealthResponse healthy = await host.GetAsync(Ct);

        healthy.HttpStatus.Should().Be(HttpStatusCode.OK);
        healthy.Status.Should().Be("Healthy", healthy.Description);
        healthy.Data.Should().Contain(new Dictionary<string, string> { ["due"] = "0", ["dead_letter"] = "0", ["pending"] = "0" });
        healthy.Data.Should().ContainKey("last_cycle_age_seconds");

        await EnqueueAsync(host, new OutboxEntry(MessageId.NewId(TimeProvider.System.GetUtcNow()), "poison", "order-1", "{}", null, TimeProvider.System.GetUtcNow()));
        await deadLettered.Task.WaitAsync(TimeSpan.FromSeconds(30), Ct);

        HealthResponse degraded = await host.GetAsync(Ct);

        degraded.HttpStatus.Should().Be(HttpStatusCode.OK, "MapHealthChecks answers 200 for Degraded");
        degraded.Status.Should().Be("Degraded");
        degraded.Description.Should().Contain("1 dead letters wait for an operator (threshold 0)");
        degraded.Data["dead_letter"].Should().Be("1");
    }

    [Fact]
    public async Task A_database_that_cannot_be_reached_is_unhealthy()
    {
        await using HealthCheckHost host = await HealthCheckHost.StartAsync(
            services =>
            {
                services.AddSingleton<IDispatcher>(new TestDispatcher(TimeProvider.System, (_, _) => DispatchResult.Success));
                UseUnreachableStore(services.AddOrderOutbox(o => o.PollingInterval = TimeSpan.FromMilliseconds(50)));
                services.AddHealthChecks().AddOrderOutbox(o => o.StoreTimeout = TimeSpan.FromSeconds(10));
            },
            Ct);

        HealthResponse response = await host.GetAsync(Ct);

        response.HttpStatus.Should().Be(HttpStatusCode.ServiceUnavailable);
        response.Status.Should().Be("Unhealthy");
        response.Description.Should().StartWith("The outbox store cannot be reached: ");
    }

    [Fact]
    public async Task A_dispatcher_stuck_in_its_cycle_is_unhealthy_after_the_bound()
    {
        var clock = new FakeTimeProvider(new DateTimeOffset(2030, 1, 1, 0, 0, 0, TimeSpan.Zero));
        var release = new TaskCompletionSource<DispatchResult>(TaskCreationOptions.RunContinuationsAsynchronously);
        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        string table = NewTableName();
        HealthCheckHost host = await HealthCheckHost.StartAsync(
            services =>
            {
                services.AddSingleton<TimeProvider>(clock);
                services.AddSingleton<IDispatcher>(new TestDispatcher(clock, (_, _, _) =>
                {
                    started.TrySetResult();
                    return new ValueTask<DispatchResult>(release.Task); // ignores its token: a call that never returns
                }));
                UseStore(services.AddOrderOutbox(), table);
                services.AddHealthChecks().AddOrderOutbox(o => o.MaxCycleAge = TimeSpan.FromMinutes(2));
            },
            Ct);
        try
        {
            (await host.GetAsync(Ct)).Status.Should().Be("Healthy", "the bound starts with the host");
            await EnqueueAsync(host, new OutboxEntry(MessageId.NewId(clock.GetUtcNow()), "order.completed", "order-1", "{}", null, clock.GetUtcNow()));
            host.Services.GetRequiredService<OrderOutbox.Hosting.OutboxWakeUp>().Notify(); // no poll wait: a cycle claims the record and hangs in the call
            await started.Task.WaitAsync(TimeSpan.FromSeconds(30), Ct);
            (await host.GetAsync(Ct)).Status.Should().Be("Healthy", "the bound has not passed yet");
            clock.Advance(TimeSpan.FromMinutes(2) + TimeSpan.FromSeconds(30));

            HealthResponse response = await host.GetAsync(Ct);

            response.HttpStatus.Should().Be(HttpStatusCode.ServiceUnavailable);
            response.Description.Should().Contain("has not completed a cycle").And.Contain("(allowed 00:02:00)");
            response.Status.Should().Be("Unhealthy");
            response.Data["leased"].Should().Be("1", "the stuck call holds its record");
        }
        finally
        {
            release.TrySetResult(DispatchResult.Success);
            await host.DisposeAsync();
        }
    }

    /// <summary>Configures the store of this suite over <paramref name="table"/>, creating it at start.</summary>
    protected abstract void UseStore(OrderOutboxBuilder builder, string table);

    /// <summary>Configures the store against a database that cannot be reached.</summary>
    protected abstract void UseUnreachableStore(OrderOutboxBuilder builder);

    protected static string NewTableName() => "hc_" + Guid.NewGuid().ToString("N")[..12];

    private protected static async Task WaitForACycleAsync(HealthCheckHost host)
    {
        var heartbeat = host.Services.GetRequiredService<OrderOutbox.Hosting.OutboxDispatcherHeartbeat>();
        for (int i = 0; i < 600 && heartbeat.LastCompletedCycleAt is null; i++)
        {
            await Task.Delay(50, Ct);
        }

        heartbeat.LastCompletedCycleAt.Should().NotBeNull("the dispatcher completes its first cycle at start");
    }

    private async Task EnqueueAsync(HealthCheckHost host, OutboxEntry entry)
    {
        IOutboxStore store = host.Services.GetRequiredService<IOutboxStore>();
        await using DbConnection connection = await Fixture.OpenConnectionAsync(Ct);
        await using DbTransaction transaction = await connection.BeginTransactionAsync(Ct);
        await store.EnqueueAsync(transaction, entry, Ct);
        await transaction.CommitAsync(Ct);
    }

    private sealed class SignallingDeadLetterHandler(TaskCompletionSource signal) : IDeadLetterHandler
    {
        public Task OnDeadLetteredAsync(OutboxMessage message, CancellationToken cancellationToken)
        {
            signal.TrySetResult();
            return Task.CompletedTask;
        }
    }
}
