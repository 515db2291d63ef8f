using System.Diagnostics;
using FluentAssertions;
using OrderOutbox.FaultInjection.Tests.Harness;

namespace OrderOutbox.FaultInjection.Tests.Scenarios;

/// <summary>
/// Scenario 3, database restart: PostgreSQL is restarted (<c>pg_ctlcluster … restart</c>) while orders are written
/// and dispatched. The workers recover by themselves — none exits — and nothing is lost.
/// </summary>
[Collection(FaultScenariosCollection.Name)]
public sealed class DatabaseRestartScenarioTests(ITestOutputHelper output)
{
    [Fact(Timeout = 300_000)]
    public async Task Workers_recover_from_a_database_restart_without_loss()
    {
        var ct = TestContext.Current.CancellationToken;
        var (version, cluster) = FaultEnvironment.RequireCluster();
        await using var h = await ScenarioHarness.StartAsync("dbrestart", output, ct);
        h.Receiver.Plan = new FaultPlan
        {
            ServiceUnavailableRate = 0.05,
            MinLatency = TimeSpan.FromMilliseconds(5),
            MaxLatency = TimeSpan.FromMilliseconds(40),
        };

        var workers = await h.StartWorkersAsync(3, i => h.Config($"w{i}"), ct);
        var clock = Stopwatch.StartNew();
        var writing = OrderWriters.RunAsync(
            h.Db, new WriteLoad { Orders = 3_000, PauseAfterEach = TimeSpan.FromMilliseconds(10) }, ct);

        // Restart once the pipeline is really flowing (deliveries under way, writers still writing).
        while (h.Receiver.DeliveredCount < 300 && !writing.IsCompleted)
        {
            await Task.Delay(TimeSpan.FromMilliseconds(50), ct);
        }

        var deliveredBefore = h.Receiver.DeliveredCount;
        var restart = Stopwatch.StartNew();
        var (exitCode, restartOutput) = await RunAsync("pg_ctlcluster", [version, cluster, "restart"], ct);
        var restartTime = restart.Elapsed;
        h.Log($"pg_ctlcluster {version} {cluster} restart: exit {exitCode} in {restartTime.TotalSeconds:F1}s, {deliveredBefore} delivered before {restartOutput}");
        writing.IsCompleted.Should().BeFalse("the restart must happen while the writers are still writing");
        exitCode.Should().Be(0, $"the cluster must restart: {restartOutput}");

        var writes = await writing;
        h.Log($"writers done in {writes.Elapsed.TotalSeconds:F1}s, {writes.RolledBack.Count} rolled back, {writes.Errors} failed transactions");
        var settled = await h.WaitUntilSettledAsync(TimeSpan.FromMinutes(3), ct);
        var figures = await h.MeasureAsync(writes, clock.Elapsed, ct);
        h.Report(figures, $"restart={restartTime.TotalSeconds:F1}s delivered_before_restart={deliveredBefore} writer_failures={writes.Errors} workers_alive={workers.Count(w => !w.HasExited)}/3");

        settled.Should().BeTrue("the workers reconnect and drain the outbox");
        h.AssertNoWorkerExited(workers);
        writes.Errors.Should().BeGreaterThan(0, "the restart must have hit the writers mid-run");
        figures.AssertNothingLost();
        figures.Delivered.Should().Be(figures.Committed);
    }

    private static async Task<(int ExitCode, string Output)> RunAsync(string file, string[] arguments, CancellationToken ct)
    {
        var start = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync(ct);
        var stderr = process.StandardError.ReadToEndAsync(ct);
        await process.WaitForExitAsync(ct);
        return (process.ExitCode, (await stdout + await stderr).Trim());
    }
}
