using System.Globalization;
using System.Text;
using Microsoft.Extensions.Hosting;
using OrderOutbox.Benchmarks.Infrastructure;

namespace OrderOutbox.Benchmarks.Scenarios;

/// <summary>
/// 2. Drain throughput: a PENDING backlog drained by <see cref="IOutboxProcessor.ProcessOnceAsync"/> (the engine the
/// hosted dispatcher runs) through the HTTP dispatcher to the receiver, batch × concurrency, next to the raw limits
/// measured in the same run. History is kept (SENT rows stay).
/// </summary>
internal static class DrainScenario
{
    public const string Section = Baselines.Section;

    public static string OutboxName(int batch, int concurrency) => $"OrderOutbox drain, batch {batch}, concurrency {concurrency}";

    public static string RatioName(int batch, int concurrency) => $"OrderOutbox / raw HTTP, batch {batch}, concurrency {concurrency}";

    public static async Task RunAsync(BenchContext ctx)
    {
        var s = ctx.Settings;
        using (var h = OutboxHost.PostgreSql(s.Postgres, ctx.Schema, Backlog.DrainTable, ctx.Receiver.Endpoint, o => o.RunDispatcher = false, notifications: false))
        {
            await h.StartAsync();
            await Backlog.EnsureTemplateAsync(ctx, h, Math.Max(s.Backlog, s.MemoryBacklogs.DefaultIfEmpty(0).Max()));
            await h.StopAsync();
        }

        var rawDb = new Dictionary<(int, int), double[]>();
        foreach (var b in s.BatchSizes)
        {
            rawDb[(b, 1)] = await Baselines.RawDbAsync(ctx, b, 1);
            rawDb[(b, 4)] = await Baselines.RawDbAsync(ctx, b, 4);
        }

        var grid = new StringBuilder();
        grid.AppendLine("| batch | concurrency | backlog | delivered per run (median) | OrderOutbox msg/s | raw HTTP msg/s | outbox / raw HTTP | raw DB rows/s (1 / 4 workers) |");
        grid.AppendLine("|---:|---:|---:|---:|---:|---:|---:|---:|");
        foreach (var c in s.Concurrencies)
        {
            var raw = await Baselines.RawHttpAsync(ctx, c);
            foreach (var b in s.BatchSizes)
            {
                var n = s.BacklogFor(c);
                var load = Machine.Load1().ToString("N2", CultureInfo.InvariantCulture);
                using var host = OutboxHost.PostgreSql(s.Postgres, ctx.Schema, Backlog.DrainTable, ctx.Receiver.Endpoint, o =>
                {
                    o.RunDispatcher = false;
                    o.BatchSize = b;
                    o.MaxConcurrency = c;
                }, notifications: false);
                await host.StartAsync();
                double[] runs;
                var delivered = new List<double>();
                try
                {
                    runs = await ctx.MeasureAsync($"outbox b={b} c={c}", async run =>
                    {
                        var count = run < 0 ? ctx.Settings.Warmup(n) : n;
                        await Backlog.LoadAsync(ctx, Backlog.DrainTable, count);
                        var rate = await Backlog.DrainAsync(ctx, host, Backlog.DrainTable, count);
                        if (run >= 0)
                        {
                            delivered.Add(Backlog.LastDrained);
                        }

                        return rate;
                    });
                }
                finally
                {
                    await host.StopAsync();
                }

                var p = new Dictionary<string, object?> { ["batch"] = b, ["concurrency"] = c, ["messages"] = n, ["kind"] = "outbox", ["deliveredPerRun"] = delivered };
                var note = $"OrderOutbox drain: PostgreSQL store, HTTP dispatcher, IOutboxProcessor.ProcessOnceAsync until a cycle finds nothing or {s.RunTimeLimit.TotalSeconds:N0} s have passed (then claiming stops and the rate is attempted/elapsed, stop included); notifications off; history kept; every attempted record checked SENT and received. Before each run: a fresh backlog copied from a template filled by IOutboxWriter, then VACUUM ANALYZE.";
                var m = ctx.Results.Add(new Measurement { Section = Section, Name = OutboxName(b, c), Unit = "msg/s", Runs = runs, Parameters = p, Note = note }, load);
                var ratio = ctx.Results.Add(new Measurement
                {
                    Section = Section,
                    Name = RatioName(b, c),
                    Unit = "ratio",
                    Runs = [.. runs.Zip(raw, (x, y) => x / y)],
                    Parameters = p,
                    Note = "ratio: run i of the outbox over run i of raw HTTP at the same concurrency (same run of the harness).",
                }, load);
                grid.Append(CultureInfo.InvariantCulture, $"| {b} | {c} | {n:N0} | {Stats.Median(delivered):N0} | {ResultSet.Format(m.Median, "msg/s")} ({ResultSet.Format(m.Min, "msg/s")}–{ResultSet.Format(m.Max, "msg/s")}) | {ResultSet.Format(Stats.Median(raw), "msg/s")} | {ratio.Median:N2} | ");
                grid.Append(CultureInfo.InvariantCulture, $"{ResultSet.Format(Stats.Median(rawDb[(b, 1)]), "rows/s")} / {ResultSet.Format(Stats.Median(rawDb[(b, 4)]), "rows/s")} |").AppendLine();
            }
        }

        ctx.Results.Table(Section, grid.ToString());
    }
}
