using System.Diagnostics;
using System.Globalization;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Npgsql;
using OrderOutbox.Benchmarks.Infrastructure;

namespace OrderOutbox.Benchmarks.Scenarios;

/// <summary>
/// 3b. Commit → arrival with the dispatcher in another process (issue 12's target): a child process of this
/// executable (<c>dispatcher-child</c>) runs the hosted dispatcher with the library's default options (wake-up on);
/// this process writes orders at 200 and at 2,000 orders/s, each its own transaction, and never waits for delivery.
/// Latency = receiver arrival − <c>CommitAsync</c> returned, both on CLOCK_MONOTONIC (see <see cref="LatencyScenario"/>).
/// </summary>
internal static class RemoteLatencyScenario
{
    public const string Section = "3b. Latency, dispatcher in another process (default options)";
    public const string Table = "latency_remote_outbox";
    public static readonly int[] Rates = [200, 2000];

    public static string Name(int rate, string what) => $"PostgreSQL, {rate:N0} orders/s: {what}";

    public static async Task RunAsync(BenchContext ctx)
    {
        var s = ctx.Settings;
        await Pg.ExecAsync(ctx.Db, $"drop table if exists {ctx.Schema}.{Table}");
        // The writer's host: default options, no dispatcher (the child delivers). It creates the table.
        using var host = OutboxHost.PostgreSql(s.Postgres, ctx.Schema, Table, ctx.Receiver.Endpoint, o => o.RunDispatcher = false, notifications: true, defaults: true);
        await host.StartAsync();
        using var child = await StartChildAsync(ctx);
        try
        {
            var writer = host.Services.GetRequiredService<IOutboxWriter>();
            await using var app = NpgsqlDataSource.Create(s.Postgres);
            var update = OrderTransactions.PgUpdateSql(ctx.Schema);
            foreach (var rate in Rates)
            {
                await MeasureRateAsync(ctx, app, update, writer, rate);
            }
        }
        finally
        {
            await StopChildAsync(child);
            await host.StopAsync();
        }
    }

    private static async Task MeasureRateAsync(BenchContext ctx, NpgsqlDataSource app, string update, IOutboxWriter writer, int rate)
    {
        var s = ctx.Settings;
        var load = Machine.Load1().ToString("N2", CultureInfo.InvariantCulture);
        var runs = s.Runs;
        var p50 = new double[runs];
        var p99 = new double[runs];
        var max = new double[runs];
        var achieved = new double[runs];
        long missing = 0;
        for (var run = -1; run < runs; run++)
        {
            await ctx.Receiver.ResetAsync();
            await ctx.Receiver.RecordAsync(true);
            var duration = run < 0 ? s.LatencyWarmup : s.LatencyDuration;
            var orders = await LatencyScenario.GenerateAsync(app, update, writer, rate, duration, stopAfter: duration + TimeSpan.FromSeconds(1));
            var rateReached = LatencyScenario.LastAchievedRate;
            await ctx.Receiver.WaitForCountAsync(orders.Count, TimeSpan.FromSeconds(10));
            await ctx.Receiver.RecordAsync(false);
            var arrivals = await ctx.Receiver.ArrivalsAsync();
            var lat = new List<double>(orders.Count);
            foreach (var o in orders)
            {
                if (arrivals.TryGetValue(o.Id, out var at))
                {
                    lat.Add(Stats.TicksToMs(at - o.Committed));
                }
                else if (run >= 0)
                {
                    missing++;
                }
            }

            if (run < 0)
            {
                continue;
            }

            var sorted = lat.ToArray();
            Array.Sort(sorted);
            p50[run] = Stats.Percentile(sorted, 50);
            p99[run] = Stats.Percentile(sorted, 99);
            max[run] = sorted.Length > 0 ? sorted[^1] : double.NaN;
            achieved[run] = rateReached;
            Console.WriteLine($"    remote latency {rate}/s run {run + 1}: {orders.Count} orders at {rateReached:N0}/s, arrived {lat.Count}; p50 {p50[run]:N2} p99 {p99[run]:N2} max {max[run]:N1} ms (load {Machine.LoadAverage()})");
        }

        var par = new Dictionary<string, object?> { ["ordersPerSecond"] = rate, ["seconds"] = s.LatencyDuration.TotalSeconds, ["missing"] = missing, ["dispatcher"] = "child process, library defaults" };
        par["notificationCooldownMs"] = new OrderOutbox.PostgreSql.PostgreSqlOutboxOptions().NotificationCooldown.TotalMilliseconds;
        var note = $"remote latency: orders written by this process at the asked rate (open loop, at most 32 in flight, issuing stops 1 s after the run's time if the writer lags (see 'achieved order rate'), each UPDATE order + EnqueueAsync + COMMIT, the caller never waits for delivery) for {s.LatencyDuration.TotalSeconds:N0} s per run after a {s.LatencyWarmup.TotalSeconds:N0} s warm-up; the hosted dispatcher runs in a child process of the harness with the library's default options (LISTEN/NOTIFY wake-up); commit = CommitAsync returned, arrival = the receiver read the body, both Stopwatch.GetTimestamp (CLOCK_MONOTONIC).";
        ctx.Results.Add(new Measurement { Section = Section, Name = Name(rate, "p50"), Unit = "ms", Runs = p50, Parameters = par, Note = note }, load);
        ctx.Results.Add(new Measurement { Section = Section, Name = Name(rate, "p99"), Unit = "ms", Runs = p99, Parameters = par, Note = note }, load);
        ctx.Results.Add(new Measurement { Section = Section, Name = Name(rate, "max"), Unit = "ms", Runs = max, Parameters = par, Note = note }, load);
        ctx.Results.Add(new Measurement { Section = Section, Name = Name(rate, "achieved order rate"), Unit = "orders/s", Runs = achieved, Parameters = par, Note = note }, load);
        if (missing > 0)
        {
            ctx.Results.Note($"remote latency at {rate}/s: {missing} committed records had not reached the receiver 10 s after the run");
        }
    }

    private static async Task<Process> StartChildAsync(BenchContext ctx)
    {
        var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardInput = true, UseShellExecute = false };
        psi.ArgumentList.Add(typeof(RemoteLatencyScenario).Assembly.Location);
        foreach (var a in new[] { "dispatcher-child", ctx.Settings.Postgres, ctx.Schema, Table, ctx.Receiver.Endpoint.ToString() })
        {
            psi.ArgumentList.Add(a);
        }

        var process = Process.Start(psi)!;
        using var ready = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        string? line;
        while ((line = await process.StandardOutput.ReadLineAsync(ready.Token)) is not null && line != "READY")
        {
        }

        if (line is null)
        {
            process.Kill();
            process.Dispose();
            throw new InvalidOperationException("the dispatcher child exited before it was ready");
        }

        // Keep draining its output so it never blocks on a full pipe.
        _ = process.StandardOutput.ReadToEndAsync();
        return process;
    }

    private static async Task StopChildAsync(Process child)
    {
        try
        {
            await child.StandardInput.WriteLineAsync("STOP");
            await child.StandardInput.FlushAsync();
            using var wait = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            await child.WaitForExitAsync(wait.Token);
        }
        catch (Exception ex) when (ex is OperationCanceledException or IOException)
        {
            child.Kill();
        }
    }

    /// <summary>The child: dispatcher-child &lt;pg&gt; &lt;schema&gt; &lt;table&gt; &lt;endpoint&gt;; runs until a line on stdin (or its end).</summary>
    public static async Task<int> ChildAsync(string[] args)
    {
        var (pg, schema, table, endpoint) = (args[0], args[1], args[2], new Uri(args[3]));
        using var host = OutboxHost.PostgreSql(pg, schema, table, endpoint, _ => { }, notifications: true, defaults: true);
        await host.StartAsync();
        Console.WriteLine("READY");
        await Console.In.ReadLineAsync();
        await host.StopAsync();
        return 0;
    }
}
