using System.Diagnostics;
using System.Globalization;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Npgsql;
using OrderOutbox.Benchmarks.Infrastructure;

namespace OrderOutbox.Benchmarks.Scenarios;

/// <summary>
/// 1b. Writers' rate: 16 concurrent writers run order transactions for a fixed time, without and with
/// <c>EnqueueAsync</c> (dispatcher off, so only the writers' side is measured); orders per second and the ratio.
/// </summary>
internal static class WritersScenario
{
    public const string Section = "1. Enqueue cost and writers' rate";
    public const string Table = "writers_outbox";

    public static async Task RunAsync(BenchContext ctx)
    {
        // Two outbox hosts: the PostgreSQL default (pg_notify in the caller's transaction) and notifications off.
        using var notifying = OutboxHost.PostgreSql(ctx.Settings.Postgres, ctx.Schema, Table, ctx.Receiver.Endpoint, o => o.RunDispatcher = false, notifications: true);
        using var quiet = OutboxHost.PostgreSql(ctx.Settings.Postgres, ctx.Schema, Table, ctx.Receiver.Endpoint, o => o.RunDispatcher = false, notifications: false);
        await notifying.StartAsync();
        await quiet.StartAsync();
        try
        {
            var variants = new (string Label, IOutboxWriter? Writer)[]
            {
                ("without outbox", null),
                ("with outbox (notifications on, the default)", notifying.Services.GetRequiredService<IOutboxWriter>()),
                ("with outbox, notifications off", quiet.Services.GetRequiredService<IOutboxWriter>()),
            };
            await using var app = NpgsqlDataSource.Create(ctx.Settings.Postgres);
            var update = OrderTransactions.PgUpdateSql(ctx.Schema);
            var writers = ctx.Settings.Writers;
            var duration = ctx.Settings.WritersDuration;
            var load = Machine.Load1().ToString("N2", CultureInfo.InvariantCulture);
            var runs = ctx.Settings.Runs;
            var rates = variants.Select(_ => new double[runs]).ToArray();
            var cpu = variants.Select(_ => new CpuRuns()).ToArray();
            for (var run = -1; run < runs; run++)
            {
                var d = run < 0 ? TimeSpan.FromSeconds(1) : duration;
                // Rotate which variant goes first, so a load swing does not always hit the same one.
                for (var k = 0; k < variants.Length; k++)
                {
                    var v = (k + Math.Max(run, 0)) % variants.Length;
                    await Pg.ExecAsync(ctx.Db, $"truncate {ctx.Schema}.{Table}; vacuum analyze {ctx.Schema}.orders");
                    var cpu0 = await CpuSnapshot.TakeAsync(ctx.Db, null);
                    var (rate, done) = await RateAsync(app, update, variants[v].Writer, writers, d);
                    if (run >= 0)
                    {
                        rates[v][run] = rate;
                        cpu[v].Add((await CpuSnapshot.TakeAsync(ctx.Db, null)).PerMessageSince(cpu0, done));
                    }
                }

                if (run >= 0)
                {
                    Console.WriteLine($"    writers run {run + 1}: {string.Join(" | ", variants.Select((v, i) => $"{v.Label} {rates[i][run]:N0}"))} orders/s (load {Machine.LoadAverage()})");
                }
            }

            var p = new Dictionary<string, object?> { ["writers"] = writers, ["seconds"] = duration.TotalSeconds };
            var note = $"writers: {writers} concurrent writers, each looping pooled open → BEGIN → UPDATE order → [EnqueueAsync] → COMMIT for {duration.TotalSeconds:N0} s per variant per run; dispatcher off; synchronous_commit on. With notifications on, the store's insert also calls pg_notify (same statement); PostgreSQL then serialises the commits of all notifying transactions on one cluster-wide lock (async.c PreCommit_Notify), held through the WAL flush.";
            for (var i = 0; i < variants.Length; i++)
            {
                ctx.Results.Add(new Measurement { Section = Section, Name = $"PostgreSQL: {writers} writers {variants[i].Label}", Unit = "orders/s", Runs = rates[i], Parameters = new(p) { ["cpu"] = cpu[i].ToJson() }, Note = note }, load);
            }

            ctx.Results.Table(Section, "Writers, CPU µs per order (writers' process / PostgreSQL backends): "
                + string.Join("; ", variants.Select((v, i) => string.Create(CultureInfo.InvariantCulture, $"{v.Label}: {Stats.Median(cpu[i].Self):N0} / {Stats.Median(cpu[i].Pg):N0}"))) + ".\n");

            ctx.Results.Add(new Measurement { Section = Section, Name = RatioName(writers, notifications: true), Unit = "ratio", Runs = [.. rates[1].Zip(rates[0], (x, y) => x / y)], Parameters = p, Note = note }, load);
            ctx.Results.Add(new Measurement { Section = Section, Name = RatioName(writers, notifications: false), Unit = "ratio", Runs = [.. rates[2].Zip(rates[0], (x, y) => x / y)], Parameters = p, Note = note }, load);
        }
        finally
        {
            await notifying.StopAsync();
            await quiet.StopAsync();
        }
    }

    public static string RatioName(int writers, bool notifications) =>
        $"PostgreSQL: {writers} writers, with/without outbox, notifications {(notifications ? "on (default)" : "off")}";

    internal static async Task<(double Rate, long Done)> RateAsync(NpgsqlDataSource app, string update, IOutboxWriter? writer, int writers, TimeSpan duration)
    {
        long done = 0;
        var stopAt = Stopwatch.GetTimestamp() + (long)(duration.TotalSeconds * Stopwatch.Frequency);
        var sw = Stopwatch.StartNew();
        var tasks = new Task[writers];
        for (var w = 0; w < writers; w++)
        {
            var seed = w;
            tasks[w] = Task.Run(async () =>
            {
                var rnd = new Random(seed);
                while (Stopwatch.GetTimestamp() < stopAt)
                {
                    var i = rnd.Next(0, 1_000_000);
                    await OrderTransactions.PostgresAsync(app, update, writer, i, Payloads.Create(i % 1000));
                    Interlocked.Increment(ref done);
                }
            });
        }

        await Task.WhenAll(tasks);
        return (done / sw.Elapsed.TotalSeconds, done);
    }
}
