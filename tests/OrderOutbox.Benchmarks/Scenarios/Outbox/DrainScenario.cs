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

    /// <summary>CPU µs per message of one party (<c>dispatcher</c>, <c>PostgreSQL</c>, <c>receiver</c>) in the drain at this cell.</summary>
    public static string CpuName(int batch, int concurrency, string party) => $"OrderOutbox drain, batch {batch}, concurrency {concurrency}: {party} CPU per message";

    /// <summary>Dispatcher CPU per message minus the raw HTTP client's at the same concurrency (run i − run i).</summary>
    public static string CpuOverRawName(int batch, int concurrency) => $"OrderOutbox drain, batch {batch}, concurrency {concurrency}: dispatcher CPU per message over the raw HTTP client's";

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
        grid.AppendLine("| batch | concurrency | delivered per run (median) | OrderOutbox msg/s | raw HTTP msg/s | outbox / raw HTTP | raw DB rows/s (1 / 4 workers) | CPU µs/msg outbox: dispatcher / PostgreSQL / receiver | CPU µs/msg raw HTTP: client / receiver |");
        grid.AppendLine("|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
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
                double[] runs;
                var delivered = new List<double>();
                var cpu = new CpuRuns();
                try
                {
                    await host.StartAsync();
                    var runner = new Backlog.Runner(ctx, Backlog.DrainTable, n);
                    runs = await ctx.MeasureAsync($"outbox b={b} c={c}", run => runner.RunAsync(run, count => Backlog.DrainAsync(ctx, host, Backlog.DrainTable, count)));
                    delivered.AddRange(runner.Delivered);
                    cpu.Self.AddRange(runner.Cpu.Self);
                    cpu.Pg.AddRange(runner.Cpu.Pg);
                    cpu.Receiver.AddRange(runner.Cpu.Receiver);
                }
#pragma warning disable CA1031 // one failed cell must not lose the grid
                catch (Exception ex)
#pragma warning restore CA1031
                {
                    ctx.Results.Note($"drain batch {b} / concurrency {c} failed: {ex.GetType().Name}: {ex.Message}");
                    Console.Error.WriteLine(ex);
                    continue;
                }
                finally
                {
                    await host.StopAsync();
                }

                var p = new Dictionary<string, object?> { ["batch"] = b, ["concurrency"] = c, ["messages"] = n, ["kind"] = "outbox", ["deliveredPerRun"] = delivered, ["cpu"] = cpu.ToJson() };
                var note = $"OrderOutbox drain: PostgreSQL store, HTTP dispatcher, IOutboxProcessor.ProcessOnceAsync until a cycle finds nothing or {s.RunTimeLimit.TotalSeconds:N0} s have passed (then claiming stops and the rate is attempted/elapsed, stop included); notifications off; history kept; every attempted record checked SENT and received. The backlog is copied from a template filled by IOutboxWriter (then VACUUM ANALYZE) and reloaded only when what is left could run short, so later runs may start with earlier runs' SENT rows in the table.";
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
                const string cpuNote = "CPU per message: CPU time over the run / messages, from /proc (10 ms ticks); PostgreSQL = backends connected to the benchmark database.";
                ctx.Results.Add(new Measurement { Section = Section, Name = CpuName(b, c, "dispatcher"), Unit = "µs/msg", Runs = [.. cpu.Self], Parameters = p, Note = cpuNote }, load);
                ctx.Results.Add(new Measurement { Section = Section, Name = CpuName(b, c, "PostgreSQL"), Unit = "µs/msg", Runs = [.. cpu.Pg], Parameters = p, Note = cpuNote }, load);
                ctx.Results.Add(new Measurement { Section = Section, Name = CpuName(b, c, "receiver"), Unit = "µs/msg", Runs = [.. cpu.Receiver], Parameters = p, Note = cpuNote }, load);
                if (Baselines.RawHttpCpu.GetValueOrDefault(c) is { } rawClient)
                {
                    ctx.Results.Add(new Measurement { Section = Section, Name = CpuOverRawName(b, c), Unit = "µs/msg", Runs = [.. cpu.Self.Zip(rawClient.Self, (x, y) => x - y)], Parameters = p, Note = cpuNote }, load);
                }

                grid.Append(CultureInfo.InvariantCulture, $"| {b} | {c} | {Stats.Median(delivered):N0} of {n:N0} | {ResultSet.Format(m.Median, "msg/s")} ({ResultSet.Format(m.Min, "msg/s")}–{ResultSet.Format(m.Max, "msg/s")}) | {ResultSet.Format(Stats.Median(raw), "msg/s")} | {ratio.Median:N2} | ");
                var rawCpu = Baselines.RawHttpCpu.GetValueOrDefault(c);
                var rawCpuText = rawCpu is null ? "n/a" : string.Create(CultureInfo.InvariantCulture, $"{Stats.Median(rawCpu.Self):N0} / {Stats.Median(rawCpu.Receiver):N0}");
                grid.Append(CultureInfo.InvariantCulture, $"{ResultSet.Format(Stats.Median(rawDb[(b, 1)]), "rows/s")} / {ResultSet.Format(Stats.Median(rawDb[(b, 4)]), "rows/s")} | {cpu.Summary()} | {rawCpuText} |").AppendLine();
            }
        }

        grid.AppendLine();
        grid.AppendLine("CPU µs per message: CPU time of each process over the run / messages (this process = the dispatcher or the raw client; PostgreSQL = backends connected to the benchmark database, from /proc, 10 ms ticks; shared WAL writer/checkpointer/autovacuum not counted). Raw DB CPU µs/row (client / PostgreSQL): "
            + string.Join("; ", Baselines.RawDbCpu.Select(kv => string.Create(CultureInfo.InvariantCulture, $"batch {kv.Key.Item1} × {kv.Key.Item2} worker(s): {Stats.Median(kv.Value.Self):N0} / {Stats.Median(kv.Value.Pg):N0}"))) + ".");
        ctx.Results.Table(Section, grid.ToString());
    }
}
