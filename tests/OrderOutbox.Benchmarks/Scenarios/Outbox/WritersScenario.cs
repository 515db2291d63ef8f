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
    public const string Section = "1. Enqueue cost (one order transaction)";
    public const string Table = "writers_outbox";

    public static async Task RunAsync(BenchContext ctx)
    {
        using var host = OutboxHost.PostgreSql(ctx.Settings.Postgres, ctx.Schema, Table, ctx.Receiver.Endpoint, o => o.RunDispatcher = false, notifications: true);
        await host.StartAsync();
        try
        {
            var writer = host.Services.GetRequiredService<IOutboxWriter>();
            await using var app = NpgsqlDataSource.Create(ctx.Settings.Postgres);
            var update = OrderTransactions.PgUpdateSql(ctx.Schema);
            var writers = ctx.Settings.Writers;
            var duration = ctx.Settings.WritersDuration;
            var load = Machine.Load1().ToString("N2", CultureInfo.InvariantCulture);
            var runs = ctx.Settings.Runs;
            var without = new double[runs];
            var with = new double[runs];
            for (var run = -1; run < runs; run++)
            {
                await Pg.ExecAsync(ctx.Db, $"truncate {ctx.Schema}.{Table}; vacuum analyze {ctx.Schema}.orders");
                var d = run < 0 ? TimeSpan.FromSeconds(1) : duration;
                // Alternate which variant goes first.
                double a, b;
                if (run % 2 == 0)
                {
                    a = await RateAsync(app, update, null, writers, d);
                    b = await RateAsync(app, update, writer, writers, d);
                }
                else
                {
                    b = await RateAsync(app, update, writer, writers, d);
                    a = await RateAsync(app, update, null, writers, d);
                }

                if (run >= 0)
                {
                    without[run] = a;
                    with[run] = b;
                    Console.WriteLine($"    writers run {run + 1}: {a:N0} → {b:N0} orders/s (load {Machine.LoadAverage()})");
                }
            }

            var p = new Dictionary<string, object?> { ["writers"] = writers, ["seconds"] = duration.TotalSeconds };
            var note = $"{writers} concurrent writers, each looping pooled open → BEGIN → UPDATE order → [EnqueueAsync] → COMMIT for {duration.TotalSeconds:N0} s per variant per run; dispatcher off; PostgreSQL synchronous_commit on (each commit waits for the WAL flush).";
            ctx.Results.Add(new Measurement { Section = Section, Name = $"PostgreSQL: {writers} writers without outbox", Unit = "orders/s", Runs = without, Parameters = p, Note = note }, load);
            ctx.Results.Add(new Measurement { Section = Section, Name = $"PostgreSQL: {writers} writers with outbox", Unit = "orders/s", Runs = with, Parameters = p, Note = note }, load);
            ctx.Results.Add(new Measurement { Section = Section, Name = $"PostgreSQL: {writers} writers, with/without outbox", Unit = "ratio", Runs = [.. with.Zip(without, (x, y) => x / y)], Parameters = p, Note = note }, load);
        }
        finally
        {
            await host.StopAsync();
        }
    }

    private static async Task<double> RateAsync(NpgsqlDataSource app, string update, IOutboxWriter? writer, int writers, TimeSpan duration)
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
        return done / sw.Elapsed.TotalSeconds;
    }
}
