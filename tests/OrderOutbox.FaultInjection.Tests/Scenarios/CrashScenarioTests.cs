using FluentAssertions;
using OrderOutbox.FaultInjection.Tests.Harness;

namespace OrderOutbox.FaultInjection.Tests.Scenarios;

/// <summary>
/// Scenario 2, crash: while orders are written and dispatched, a worker process is killed with SIGKILL every two
/// seconds and restarted, five times. Nothing is lost; duplicates come only from what the killed workers held.
/// </summary>
[Collection(FaultScenariosCollection.Name)]
public sealed class CrashScenarioTests(ITestOutputHelper output)
{
    [Fact(Timeout = 300_000)]
    public async Task Sigkilled_workers_lose_nothing_and_duplicate_only_what_they_held()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var h = await ScenarioHarness.StartAsync("crash", output, ct);
        h.Receiver.Plan = new FaultPlan
        {
            ServiceUnavailableRate = 0.05,
            ResetRate = 0.02,
            TooManyRequestsRate = 0.01,
            MinLatency = TimeSpan.FromMilliseconds(30),
            MaxLatency = TimeSpan.FromMilliseconds(120),
        };

        // The lease is longer than elsewhere (20 s, not 6 s): under heavy CPU load a live worker's first batch can stall
        // for several seconds, and a lease that expires under a live worker which is then killed would leave a duplicate
        // that neither the kill nor the worker's (lost) log explains. Killed workers' records come back after 20 s.
        var workers = await h.StartWorkersAsync(3, i => Config(h, $"w{i}", 1), ct);
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var writing = OrderWriters.RunAsync(
            h.Db, new WriteLoad { Orders = 3_000, PauseAfterEach = TimeSpan.FromMilliseconds(10) }, ct);

        var heldByKilled = new HashSet<Guid>();
        var heldCounts = new List<int>();
        for (var kill = 1; kill <= 5; kill++)
        {
            await Task.Delay(TimeSpan.FromSeconds(2), ct);
            var slot = kill % workers.Length;
            var victim = workers[slot];

            // Kill mid-batch: wait (a little) until the victim holds records, unless the backlog is gone.
            for (var wait = 0; wait < 100 && !writing.IsCompleted; wait++)
            {
                if ((await h.Db.ReadHeldByAsync(victim.InstanceId, ct)).Count > 0)
                {
                    break;
                }

                await Task.Delay(TimeSpan.FromMilliseconds(50), ct);
            }

            await victim.KillAsync();

            // The records the dead process held: its lease is still on them, and will expire.
            var held = await h.Db.ReadHeldByAsync(victim.InstanceId, ct);
            heldByKilled.UnionWith(held);
            heldCounts.Add(held.Count);
            h.Log($"SIGKILL {victim.InstanceId} (pid {victim.ProcessId}, exit {victim.ExitCode}) holding {held.Count} records");
            workers[slot] = await h.StartWorkerAsync(Config(h, $"w{slot + 1}", kill + 1), ct);
        }

        var writes = await writing;
        h.Log($"writers done in {writes.Elapsed.TotalSeconds:F1}s, {writes.RolledBack.Count} rolled back, {writes.Errors} errors");
        var settled = await h.WaitUntilSettledAsync(TimeSpan.FromMinutes(3), ct);
        var figures = await h.MeasureAsync(writes, clock.Elapsed, ct, heldByKilled);
        h.Report(figures, $"kills=5 held_by_killed={heldByKilled.Count} ({string.Join('+', heldCounts)}) rolled_back={figures.RolledBack}");

        settled.Should().BeTrue("expired leases of killed workers are taken over");
        figures.AssertNothingLost();
        figures.Delivered.Should().Be(figures.Committed);
        heldByKilled.Should().NotBeEmpty("the kills must hit workers mid-batch for the scenario to mean anything");
        figures.DuplicatedByKill.Should().BeLessThanOrEqualTo(heldByKilled.Count, "a kill can duplicate only what the killed worker held");
        h.AssertNoWorkerExited(workers);
    }

    private static WorkerConfig Config(ScenarioHarness h, string worker, int generation)
        => h.Config(worker, generation) with { LeaseDuration = TimeSpan.FromSeconds(20) };
}
