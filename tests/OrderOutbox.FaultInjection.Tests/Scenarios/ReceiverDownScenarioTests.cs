using FluentAssertions;
using OrderOutbox.FaultInjection.Tests.Harness;

namespace OrderOutbox.FaultInjection.Tests.Scenarios;

/// <summary>
/// Scenario 5, receiver down for longer than the whole backoff schedule (shortened: 0.2, 0.4, 0.8, 1.6, 2 s; the 429s
/// ask for 1 s): every record ends <c>DEAD_LETTER</c> with <c>retry_count</c> 6 after six attempts, the dead-letter
/// hook fired once for each, nothing is left <c>FAILED</c> or leased.
/// </summary>
[Collection(FaultScenariosCollection.Name)]
public sealed class ReceiverDownScenarioTests(ITestOutputHelper output)
{
    [Fact(Timeout = 300_000)]
    public async Task Records_exhaust_their_retries_and_are_dead_lettered_once()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var h = await ScenarioHarness.StartAsync("down", output, ct);
        h.Receiver.Plan = new FaultPlan { Down = true, RetryAfterSeconds = 1 };

        // The lease is 30 s (not 6 s) so that a batch stalled by a loaded machine does not lose its lease and get an
        // extra attempt; any extra attempt must still be explained by a fenced outcome in the workers' logs.
        var workers = await h.StartWorkersAsync(
            2, i => h.Config($"w{i}") with { MaxRetries = 5, DispatchTimeout = TimeSpan.FromSeconds(2), LeaseDuration = TimeSpan.FromSeconds(30) }, ct);
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var writes = await OrderWriters.RunAsync(h.Db, new WriteLoad { Orders = 200 }, ct);
        var settled = await h.WaitUntilSettledAsync(TimeSpan.FromMinutes(2), ct);

        var figures = await h.MeasureAsync(writes, clock.Elapsed, ct);
        var committed = await h.Db.ReadCommittedAsync(ct);
        var rows = await h.Db.ReadOutboxAsync(ct);
        var hooks = await h.Db.ReadHookCallsAsync(ct);
        var stats = await h.Db.Admin.GetStatisticsAsync(ct);
        h.Report(figures, $"attempts={h.Receiver.Requests} hook_calls={hooks.Values.Sum(c => c.Count)} failed={stats.Failed} pending={stats.Pending} leased={stats.Leased}");

        settled.Should().BeTrue("nothing may stay PENDING or FAILED once the schedule is exhausted");
        figures.AssertNothingLost();
        figures.Delivered.Should().Be(0);
        figures.DeadLettered.Should().Be(figures.Committed);
        committed.Keys.Select(id => (rows[id].Status, rows[id].RetryCount))
            .Should().OnlyContain(r => r.Status == OutboxStatusText.DeadLetter && r.RetryCount == 6, "one attempt plus five retries, then dead letter");
        var fenced = h.ReadWorkerLogs().Fenced;
        committed.Keys.Select(id => (h.Receiver.Get(id)?.Attempts ?? 0) - fenced.GetValueOrDefault(id))
            .Should().OnlyContain(a => a == 6, "each record is attempted six times (plus one per attempt whose lease had passed on)");
        rows.Values.Should().OnlyContain(r => !r.Leased && r.LockedBy == null, "no lease is left behind");
        hooks.Keys.Should().BeEquivalentTo(committed.Keys, "the hook fires for every dead letter");
        hooks.Values.Should().OnlyContain(calls => calls.Count == 1 && calls[0].RetryCount == 6 && calls[0].Status == OutboxStatusText.DeadLetter, "once each, after the status is stored");
        stats.Failed.Should().Be(0);
        stats.Pending.Should().Be(0);
        stats.Leased.Should().Be(0);
        stats.DeadLetter.Should().Be(committed.Count);
        h.AssertNoWorkerExited(workers);
    }
}
