using FluentAssertions;
using OrderOutbox.FaultInjection.Tests.Harness;

namespace OrderOutbox.FaultInjection.Tests.Scenarios;

/// <summary>
/// Scenario 4, poison: 1% of payloads get a permanent 400. Exactly those become <c>DEAD_LETTER</c> after one attempt,
/// the rest are delivered at their first attempt; once the receiver is fixed, requeueing delivers the dead letters.
/// </summary>
[Collection(FaultScenariosCollection.Name)]
public sealed class PoisonScenarioTests(ITestOutputHelper output)
{
    [Fact(Timeout = 300_000)]
    public async Task Poison_messages_are_dead_lettered_at_once_and_delivered_after_requeue()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var h = await ScenarioHarness.StartAsync("poison", output, ct);
        h.Receiver.Plan = new FaultPlan { RejectPoison = true };

        // A generous dispatch timeout (and the lease the core requires for it), so that a slow, loaded machine does not
        // turn healthy deliveries into timeouts: this scenario asserts that they all succeed at their first attempt.
        var workers = await h.StartWorkersAsync(
            3, i => h.Config($"w{i}") with { DispatchTimeout = TimeSpan.FromSeconds(5), LeaseDuration = TimeSpan.FromSeconds(30) }, ct);
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var writes = await OrderWriters.RunAsync(h.Db, new WriteLoad { Orders = 2_000, PoisonRate = 0.01 }, ct);
        (await h.WaitUntilSettledAsync(TimeSpan.FromMinutes(2), ct)).Should().BeTrue("the first pass drains");

        var committed = await h.Db.ReadCommittedAsync(ct);
        var rows = await h.Db.ReadOutboxAsync(ct);
        var hooks = await h.Db.ReadHookCallsAsync(ct);
        var poison = committed.Values.Where(o => o.Poison).Select(o => o.MessageId).ToHashSet();
        var healthy = committed.Values.Where(o => !o.Poison).Select(o => o.MessageId).ToList();
        var firstPass = clock.Elapsed;
        h.Log($"first pass: {committed.Count} committed, {poison.Count} poison, settled in {firstPass.TotalSeconds:F1}s");

        poison.Should().NotBeEmpty("the seeded 1% must produce poison orders");
        rows.Values.Where(r => r.Status == OutboxStatusText.DeadLetter).Select(r => r.Id)
            .Should().BeEquivalentTo(poison, "exactly the poison payloads are dead-lettered");
        poison.Select(id => h.Receiver.Get(id)?.Attempts ?? 0)
            .Should().OnlyContain(attempts => attempts == 1, "a permanent 400 is not retried");
        healthy.Select(id => (rows[id].Status, rows[id].RetryCount))
            .Should().OnlyContain(r => r.Status == OutboxStatusText.Sent && r.RetryCount == 0, "the rest are delivered at their first attempt, not held up");
        hooks.Keys.Should().BeEquivalentTo(poison, "the dead-letter hook fires for the poison messages only");
        hooks.Values.Should().OnlyContain(calls => calls.Count == 1, "once each");

        // The receiver is fixed; an operator requeues the dead letters.
        h.Receiver.Plan = FaultPlan.Healthy;
        var requeued = await h.Db.Admin.RequeueAllDeadLettersAsync(ct);
        requeued.Should().Be(poison.Count);
        var settled = await h.WaitUntilSettledAsync(TimeSpan.FromMinutes(1), ct);

        var figures = await h.MeasureAsync(writes, clock.Elapsed, ct);
        h.Report(figures, $"poison={poison.Count} requeued={requeued} first_pass={firstPass.TotalSeconds:F1}s rolled_back={figures.RolledBack}");

        settled.Should().BeTrue();
        figures.AssertNothingLost();
        figures.Delivered.Should().Be(figures.Committed, "after the requeue every committed order is delivered");
        figures.DeadLettered.Should().Be(poison.Count);
        figures.Duplicates.Should().Be(0);
        h.AssertNoWorkerExited(workers);
    }
}
