using System.Globalization;
using System.Text;
using OrderOutbox.Benchmarks.Infrastructure;

namespace OrderOutbox.Benchmarks.Scenarios;

/// <summary>
/// The cost of per-aggregate ordering: the same PENDING backlog (1,000 orders, each with backlog / 1,000 events) drained
/// unordered and with <see cref="OutboxOrdering.PerAggregate"/>, in the same run, at each batch × concurrency.
/// </summary>
internal static class OrderingScenario
{
    public const string Section = "Per-aggregate ordering";

    public static async Task RunAsync(BenchContext ctx)
    {
        var s = ctx.Settings;
        await Backlog.EnsureTemplateAsync(ctx, s.Backlog);

        var grid = new StringBuilder();
        grid.AppendLine("| batch | concurrency | unordered msg/s | PerAggregate msg/s | ordered / unordered |");
        grid.AppendLine("|---:|---:|---:|---:|---:|");
        // --quick: only batch 100 / concurrency 16 (the row the issue asks for), to keep the smoke run short.
        foreach (var c in s.Quick ? [16] : s.Concurrencies)
        {
            foreach (var b in s.Quick ? [100] : s.BatchSizes)
            {
                var load = Machine.Load1().ToString("N2", CultureInfo.InvariantCulture);
                var rates = new Dictionary<OutboxOrdering, double[]>();
                foreach (var ordering in new[] { OutboxOrdering.Unordered, OutboxOrdering.PerAggregate })
                {
                    using var host = OutboxHost.PostgreSql(s.Postgres, ctx.Schema, Backlog.DrainTable, ctx.Receiver.Endpoint, o =>
                    {
                        o.RunDispatcher = false;
                        o.BatchSize = b;
                        o.MaxConcurrency = c;
                        o.Ordering = ordering;
                    }, notifications: false);
                    await host.StartAsync();
                    try
                    {
                        var runner = new Backlog.Runner(ctx, Backlog.DrainTable, s.Backlog);
                        rates[ordering] = await ctx.MeasureAsync(
                            $"{ordering} b={b} c={c}", run => runner.RunAsync(run, count => Backlog.DrainAsync(ctx, host, Backlog.DrainTable, count)));
                    }
                    finally
                    {
                        await host.StopAsync();
                    }

                    ctx.Results.Add(new Measurement
                    {
                        Section = Section,
                        Name = $"{ordering} drain, batch {b}, concurrency {c}",
                        Unit = "msg/s",
                        Runs = rates[ordering],
                        Parameters = new Dictionary<string, object?> { ["batch"] = b, ["concurrency"] = c, ["ordering"] = ordering.ToString(), ["messages"] = s.Backlog },
                        Note = "PostgreSQL store, HTTP dispatcher, ProcessOnceAsync until drained; backlog: 1,000 aggregates with backlog / 1,000 events each, copied from the drain template.",
                    }, load);
                }

                double unordered = Stats.Median(rates[OutboxOrdering.Unordered]);
                double ordered = Stats.Median(rates[OutboxOrdering.PerAggregate]);
                grid.Append(CultureInfo.InvariantCulture, $"| {b} | {c} | {ResultSet.Format(unordered, "msg/s")} | {ResultSet.Format(ordered, "msg/s")} | {ordered / unordered:N2} |").AppendLine();
            }
        }

        ctx.Results.Table(Section, grid.ToString());
    }
}
