using System.Diagnostics;
using FluentAssertions;
using OrderOutbox.FaultInjection.Tests.Harness;

namespace OrderOutbox.FaultInjection.Tests.Scenarios;

/// <summary>
/// Scenario 7, the outage circuit with real worker processes and the real faulty receiver: the receiver is down for
/// 20 s, four times what the shortened retry schedule survives (0.2 + 0.4 + 0.8 + 1.6 + 2 s: every record of scenario 5
/// is dead-lettered in about 5 s), then back. With the circuit on, nothing is dead-lettered, the records' retries are not
/// spent while it is open (only the calls that opened it and the probes reach the receiver), and everything is delivered
/// once the receiver is back; lost = 0.
/// </summary>
[Collection(FaultScenariosCollection.Name)]
public sealed class CircuitScenarioTests(ITestOutputHelper output)
{
    private const int Workers = 2;
    private const int FailureThreshold = 5;
    private static readonly TimeSpan Outage = TimeSpan.FromSeconds(20);
    private static readonly TimeSpan ProbeInterval = TimeSpan.FromMilliseconds(500);
    private static readonly TimeSpan MaxProbeInterval = TimeSpan.FromSeconds(2);

    [Fact(Timeout = 300_000)]
    public async Task A_receiver_outage_longer_than_the_retry_schedule_dead_letters_nothing_and_everything_arrives_after()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var h = await ScenarioHarness.StartAsync("circuit", output, ct);
        h.Receiver.Plan = new FaultPlan { Down = true, RetryAfterSeconds = 1 };
        WorkerConfig Config(int i) => h.Config($"w{i}") with
        {
            MaxRetries = 5,
            DispatchTimeout = TimeSpan.FromSeconds(2),
            LeaseDuration = TimeSpan.FromSeconds(30),
            Circuit = (FailureThreshold, ProbeInterval, MaxProbeInterval),
        };
        var workers = await h.StartWorkersAsync(Workers, Config, ct);
        int concurrency = Config(0).MaxConcurrency;

        var clock = Stopwatch.StartNew();
        var writes = await OrderWriters.RunAsync(h.Db, new WriteLoad { Orders = 200 }, ct);
        TimeSpan downFor = Outage - clock.Elapsed;
        if (downFor > TimeSpan.Zero)
        {
            await Task.Delay(downFor, ct);
        }

        long attemptsWhileDown = h.Receiver.Requests;
        TimeSpan outage = clock.Elapsed;
        var duringOutage = await h.Db.Admin.GetStatisticsAsync(ct);
        var rowsAtRecovery = await h.Db.ReadOutboxAsync(ct);
        h.Receiver.Plan = FaultPlan.Healthy;
        var settled = await h.WaitUntilSettledAsync(TimeSpan.FromMinutes(2), ct);
        TimeSpan recovery = clock.Elapsed - outage;

        var figures = await h.MeasureAsync(writes, clock.Elapsed, ct);
        var committed = await h.Db.ReadCommittedAsync(ct);
        var rows = await h.Db.ReadOutboxAsync(ct);
        var stats = await h.Db.Admin.GetStatisticsAsync(ct);
        int maxRetry = rows.Values.Max(r => r.RetryCount);
        int spent = rowsAtRecovery.Values.Sum(r => r.RetryCount);

        // Per worker: the failures that open its circuit, the calls already in flight then, and one probe per probe delay.
        int probesPerWorker = (int)Math.Ceiling(outage / ProbeInterval);
        long allowedWhileDown = Workers * (FailureThreshold + concurrency + probesPerWorker);
        h.Report(
            figures,
            FormattableString.Invariant(
                $"outage={outage.TotalSeconds:F1}s attempts_while_down={attemptsWhileDown} (bound {allowedWhileDown}) retries_spent_at_recovery={spent} max_retry_count={maxRetry} dead_letter_during_outage={duringOutage.DeadLetter} recovery={recovery.TotalSeconds:F1}s"));

        settled.Should().BeTrue("every record is delivered once the receiver is back");
        figures.AssertNothingLost();
        duringOutage.DeadLetter.Should().Be(0, "the circuit holds the records instead of spending their retries");
        figures.DeadLettered.Should().Be(0, "an outage four times longer than the retry schedule dead-letters nothing");
        figures.Delivered.Should().Be(figures.Committed);
        committed.Keys.Should().OnlyContain(id => rows[id].Status == OutboxStatusText.Sent);
        attemptsWhileDown.Should().BeLessThanOrEqualTo(allowedWhileDown, "while the circuit is open only probes reach the receiver");
        spent.Should().BeLessThanOrEqualTo(Workers * (FailureThreshold + concurrency), "a failed probe spends no retry: only the calls that opened the circuits did");
        maxRetry.Should().BeLessThan(6, "no record came near the end of its schedule");
        rows.Values.Should().OnlyContain(r => !r.Leased && r.LockedBy == null, "no lease is left behind");
        stats.DeadLetter.Should().Be(0);
        h.AssertNoWorkerExited(workers);
    }
}
