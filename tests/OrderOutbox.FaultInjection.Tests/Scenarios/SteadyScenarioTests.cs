using FluentAssertions;
using OrderOutbox.FaultInjection.Tests.Harness;

namespace OrderOutbox.FaultInjection.Tests.Scenarios;

/// <summary>
/// Scenario 1, steady: 5,000 orders by 4 concurrent writers (10% of transactions rolled back) while 3 worker processes
/// dispatch to a receiver that fails 20% of requests with 503 and lets 5% hang past the dispatch timeout.
/// </summary>
[Collection(FaultScenariosCollection.Name)]
public sealed class SteadyScenarioTests(ITestOutputHelper output)
{
    [Fact(Timeout = 300_000)]
    public async Task Every_committed_order_is_delivered_and_no_rolled_back_one()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var h = await ScenarioHarness.StartAsync("steady", output, ct);
        h.Receiver.Plan = new FaultPlan { ServiceUnavailableRate = 0.20, HangRate = 0.05, HangFor = TimeSpan.FromSeconds(3) };

        // 25% of attempts fail, so five retries would dead-letter about one record in 4,000 by bad luck (0.25^6):
        // this scenario is about loss, not about the retry limit, so it allows ten.
        var workers = await h.StartWorkersAsync(3, i => h.Config($"w{i}") with { MaxRetries = 10 }, ct);
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var writes = await OrderWriters.RunAsync(h.Db, new WriteLoad { Orders = 5_000, Writers = 4, RollbackRate = 0.10 }, ct);
        h.Log($"writers done in {writes.Elapsed.TotalSeconds:F1}s, {writes.RolledBack.Count} rolled back, {writes.Errors} errors");

        var settled = await h.WaitUntilSettledAsync(TimeSpan.FromMinutes(3), ct);
        var figures = await h.MeasureAsync(writes, clock.Elapsed, ct);
        h.Report(figures, $"rolled_back={figures.RolledBack} rolled_back_delivered={figures.RolledBackDelivered} requests={h.Receiver.Requests} client_aborts={h.Receiver.Aborted}");

        settled.Should().BeTrue("the outbox drains");
        figures.AssertNothingLost();
        figures.Delivered.Should().Be(figures.Committed);
        figures.DeadLettered.Should().Be(0);
        writes.Errors.Should().Be(0);
        h.AssertNoWorkerExited(workers);
    }
}
