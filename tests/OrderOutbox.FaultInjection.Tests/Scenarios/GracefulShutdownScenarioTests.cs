using System.Diagnostics;
using FluentAssertions;
using OrderOutbox.FaultInjection.Tests.Harness;

namespace OrderOutbox.FaultInjection.Tests.Scenarios;

/// <summary>
/// Scenario 6, graceful shutdown: a worker with a five-minute lease gets SIGTERM mid-batch. Its in-flight calls finish
/// or their leases are released; it exits cleanly holding no lease, and a new worker picks the rest up at once — long
/// before the five minutes would have run out.
/// </summary>
[Collection(FaultScenariosCollection.Name)]
public sealed class GracefulShutdownScenarioTests(ITestOutputHelper output)
{
    private static readonly TimeSpan LongLease = TimeSpan.FromMinutes(5);

    [Fact(Timeout = 300_000)]
    public async Task Sigterm_releases_leases_and_a_new_worker_takes_over_at_once()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var h = await ScenarioHarness.StartAsync("graceful", output, ct);
        h.Receiver.Plan = new FaultPlan { MinLatency = TimeSpan.FromMilliseconds(250), MaxLatency = TimeSpan.FromMilliseconds(250) };
        var writes = await OrderWriters.RunAsync(h.Db, new WriteLoad { Orders = 400 }, ct);

        var config = h.Config("a") with
        {
            LeaseDuration = LongLease,
            BatchSize = 20,
            MaxConcurrency = 4,
            DispatchTimeout = TimeSpan.FromSeconds(2),
        };
        var clock = Stopwatch.StartNew();
        var first = await h.StartWorkerAsync(config, ct);
        while (h.Receiver.DeliveredCount < 40)
        {
            await Task.Delay(TimeSpan.FromMilliseconds(20), ct);
        }

        var inFlight = h.Receiver.InFlight;
        var abortedBefore = h.Receiver.Aborted;
        var held = (await h.Db.ReadHeldByAsync(first.InstanceId, ct)).Count;
        var stop = Stopwatch.StartNew();
        var exited = await first.TerminateAsync(TimeSpan.FromSeconds(30));
        h.Log($"SIGTERM with {inFlight} calls in flight and {held} records leased; exited={exited} code={first.ExitCode} in {stop.Elapsed.TotalSeconds:F1}s");

        exited.Should().BeTrue("the worker stops within its shutdown timeout");
        first.ExitCode.Should().Be(0, first.Tail);
        first.StoppedCleanly.Should().BeTrue("the host stopped, it did not crash");
        inFlight.Should().BeGreaterThan(0, "SIGTERM must land mid-batch for the scenario to mean anything");
        (await h.Db.ReadHeldByAsync(first.InstanceId, ct)).Should().BeEmpty("a stopped worker releases the leases of what it did not finish");
        (await h.Db.ReadOutboxAsync(ct)).Values.Should().NotContain(r => r.Leased, "no lease survives the stopped worker");
        var abortedAtShutdown = h.Receiver.Aborted - abortedBefore;
        var deliveredByFirst = h.Receiver.DeliveredCount;

        var takeover = Stopwatch.StartNew();
        var second = await h.StartWorkerAsync(config with { InstanceId = $"fi-{h.Name}-b-g1-" }, ct);
        while (h.Receiver.DeliveredCount == deliveredByFirst && takeover.Elapsed < LongLease)
        {
            await Task.Delay(TimeSpan.FromMilliseconds(10), ct);
        }

        var firstDeliveryAfter = takeover.Elapsed;
        var settled = await h.WaitUntilSettledAsync(TimeSpan.FromSeconds(90), ct);
        var takeoverTime = takeover.Elapsed;

        var figures = await h.MeasureAsync(writes, clock.Elapsed, ct);
        h.Report(figures, $"in_flight_at_sigterm={inFlight} leased_at_sigterm={held} aborted_at_shutdown={abortedAtShutdown} delivered_by_first={deliveredByFirst} first_delivery_by_new_worker={firstDeliveryAfter.TotalSeconds:F1}s drained_by_new_worker={takeoverTime.TotalSeconds:F1}s lease={LongLease.TotalMinutes:F0}min");

        settled.Should().BeTrue("the new worker drains the rest without waiting for the old leases to expire");
        firstDeliveryAfter.Should().BeLessThan(LongLease / 5, "the new worker picks the rest up at once (process start included), not after the 5-minute lease expires");
        takeoverTime.Should().BeLessThan(LongLease / 2, "the rest is drained long before the old leases would have expired");
        figures.AssertNothingLost();
        figures.Delivered.Should().Be(figures.Committed);
        figures.Duplicates.Should().Be(0, "calls in flight at SIGTERM either finished and were recorded, or were given back");
        h.AssertNoWorkerExited([second]);
    }
}
