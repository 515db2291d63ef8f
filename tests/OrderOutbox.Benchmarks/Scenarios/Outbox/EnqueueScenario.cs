using System.Globalization;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Npgsql;
using OrderOutbox.Benchmarks.Infrastructure;

namespace OrderOutbox.Benchmarks.Scenarios;

/// <summary>
/// 1. Enqueue cost: the order transaction with and without <c>EnqueueAsync</c>, interleaved one by one (so load
/// swings hit both alike), on PostgreSQL and SQLite. Reports p50/p99 per order of each variant and their
/// difference (the difference of the percentiles), and the network round trips per transaction on PostgreSQL,
/// counted by a TCP proxy.
/// </summary>
internal static class EnqueueScenario
{
    public const string Section = "1. Enqueue cost and writers' rate";
    public const string PgTable = "enqueue_outbox";

    public static async Task RunAsync(BenchContext ctx)
    {
        await PostgresAsync(ctx);
        await SqliteAsync(ctx);
    }

    private static async Task PostgresAsync(BenchContext ctx)
    {
        using var host = OutboxHost.PostgreSql(ctx.Settings.Postgres, ctx.Schema, PgTable, ctx.Receiver.Endpoint, o => o.RunDispatcher = false, notifications: true);
        await host.StartAsync();
        try
        {
            var writer = host.Services.GetRequiredService<IOutboxWriter>();
            await Pg.ExecAsync(ctx.Db, $"truncate {ctx.Schema}.{PgTable}");
            await using var app = NpgsqlDataSource.Create(ctx.Settings.Postgres);
            var update = OrderTransactions.PgUpdateSql(ctx.Schema);
            var n = ctx.Settings.EnqueueTransactions;
            var load = Machine.Load1().ToString("N2", CultureInfo.InvariantCulture);
            var figures = await MeasurePairsAsync(ctx, "PostgreSQL", n, async (withOutbox, i) =>
            {
                var r = await OrderTransactions.PostgresAsync(app, update, withOutbox ? writer : null, i, Payloads.Create(i));
                return r.Committed - r.Start;
            });
            Add(ctx, "PostgreSQL", figures, load, n);

            // The same pair with the store's notifications off: what the pg_notify in the insert costs the caller.
            using (var quiet = OutboxHost.PostgreSql(ctx.Settings.Postgres, ctx.Schema, PgTable, ctx.Receiver.Endpoint, o => o.RunDispatcher = false, notifications: false))
            {
                await quiet.StartAsync();
                var quietWriter = quiet.Services.GetRequiredService<IOutboxWriter>();
                var quietFigures = await MeasurePairsAsync(ctx, "PostgreSQL, notifications off", n, async (withOutbox, i) =>
                {
                    var r = await OrderTransactions.PostgresAsync(app, update, withOutbox ? quietWriter : null, i, Payloads.Create(i));
                    return r.Committed - r.Start;
                });
                Add(ctx, "PostgreSQL, notifications off", quietFigures, load, n);
                await quiet.StopAsync();
            }

            // Round trips, through the counting proxy (not timed).
            var csb = new NpgsqlConnectionStringBuilder(ctx.Settings.Postgres);
            await using var proxy = new RoundTripCountingProxy(csb.Host!, csb.Port);
            csb.Host = "127.0.0.1";
            csb.Port = proxy.Port;
            csb.SslMode = SslMode.Disable;
            await using var viaProxy = NpgsqlDataSource.Create(csb.ConnectionString);
            const int Count = 200;
            var rt = new Dictionary<bool, double>();
            foreach (var withOutbox in new[] { false, true })
            {
                for (var i = 0; i < 20; i++)
                {
                    await OrderTransactions.PostgresAsync(viaProxy, update, withOutbox ? writer : null, i, Payloads.Create(i));
                }

                proxy.Reset();
                for (var i = 0; i < Count; i++)
                {
                    await OrderTransactions.PostgresAsync(viaProxy, update, withOutbox ? writer : null, i, Payloads.Create(i));
                }

                rt[withOutbox] = proxy.RoundTrips / (double)Count;
            }

            const string rtNote = "round trips: counted by a loopback TCP proxy in front of PostgreSQL (one count per client→server→client turn), 200 transactions per variant after 20 warm-up ones; a transaction = pooled open, BEGIN (Npgsql defers it into the first statement), UPDATE, [EnqueueAsync], COMMIT.";
            ctx.Results.Add(new Measurement { Section = Section, Name = "PostgreSQL: round trips per order transaction, without outbox", Unit = "round trips", Runs = [rt[false]], Note = rtNote }, load);
            ctx.Results.Add(new Measurement { Section = Section, Name = "PostgreSQL: round trips per order transaction, with outbox", Unit = "round trips", Runs = [rt[true]], Note = rtNote }, load);
            ctx.Results.Add(new Measurement { Section = Section, Name = "PostgreSQL: added round trips per order (EnqueueAsync)", Unit = "round trips", Runs = [rt[true] - rt[false]], Note = rtNote }, load);
        }
        finally
        {
            await host.StopAsync();
        }
    }

    private static async Task SqliteAsync(BenchContext ctx)
    {
        Directory.CreateDirectory(ctx.Settings.SqliteDirectory);
        var file = Path.Combine(ctx.Settings.SqliteDirectory, "enqueue.db");
        var cs = $"Data Source={file};Pooling=True";
        await OrderTransactions.EnsureSqliteOrdersAsync(cs);
        using var host = OutboxHost.Sqlite(cs, "outbox_messages", ctx.Receiver.Endpoint, o => o.RunDispatcher = false);
        await host.StartAsync();
        try
        {
            var writer = host.Services.GetRequiredService<IOutboxWriter>();
            var n = ctx.Settings.EnqueueTransactions;
            var load = Machine.Load1().ToString("N2", CultureInfo.InvariantCulture);
            var figures = await MeasurePairsAsync(ctx, "SQLite", n, async (withOutbox, i) =>
            {
                var r = await OrderTransactions.SqliteAsync(cs, withOutbox ? writer : null, i, Payloads.Create(i));
                return r.Committed - r.Start;
            });
            Add(ctx, "SQLite", figures, load, n);
            ctx.Results.Add(new Measurement
            {
                Section = Section,
                Name = "SQLite: added statements per order (EnqueueAsync)",
                Unit = "statements",
                Runs = [1],
                Note = "SQLite is in-process (no round trips); the writer's insert is one statement on the caller's transaction (read from the store's SQL, not counted). SQLite file in WAL mode, default synchronous, pooled connections.",
            }, load);
        }
        finally
        {
            await host.StopAsync();
        }
    }

    private sealed record PairFigures(double[] P50Without, double[] P99Without, double[] P50With, double[] P99With);

    /// <summary>Warm-up, then runs of <paramref name="n"/> pairs (without, with) in alternating order.</summary>
    private static async Task<PairFigures> MeasurePairsAsync(BenchContext ctx, string label, int n, Func<bool, int, Task<long>> tx)
    {
        var runs = ctx.Settings.Runs;
        var f = new PairFigures(new double[runs], new double[runs], new double[runs], new double[runs]);
        for (var run = -1; run < runs; run++)
        {
            var count = run < 0 ? Math.Max(100, n / 4) : n;
            var without = new double[count];
            var with = new double[count];
            for (var i = 0; i < count; i++)
            {
                var order = run * 100_000 + i + 200_000;
                if ((i & 1) == 0)
                {
                    without[i] = Stats.TicksToMs(await tx(false, order));
                    with[i] = Stats.TicksToMs(await tx(true, order));
                }
                else
                {
                    with[i] = Stats.TicksToMs(await tx(true, order));
                    without[i] = Stats.TicksToMs(await tx(false, order));
                }
            }

            if (run < 0)
            {
                continue;
            }

            Array.Sort(without);
            Array.Sort(with);
            f.P50Without[run] = Stats.Percentile(without, 50);
            f.P99Without[run] = Stats.Percentile(without, 99);
            f.P50With[run] = Stats.Percentile(with, 50);
            f.P99With[run] = Stats.Percentile(with, 99);
            Console.WriteLine($"    {label} run {run + 1}: p50 {f.P50Without[run]:N3} → {f.P50With[run]:N3} ms, p99 {f.P99Without[run]:N3} → {f.P99With[run]:N3} ms (load {Machine.LoadAverage()})");
        }

        return f;
    }

    private static void Add(BenchContext ctx, string store, PairFigures f, string load, int n)
    {
        var note = $"per order: {n} transactions per variant per run, the two variants interleaved; 'added' = p(with) − p(without) per run (a difference of percentiles, not a percentile of differences).";
        var p = new Dictionary<string, object?> { ["transactions"] = n, ["store"] = store };
        ctx.Results.Add(new Measurement { Section = Section, Name = $"{store}: order transaction without outbox, p50", Unit = "ms", Runs = f.P50Without, Parameters = p, Note = note }, load);
        ctx.Results.Add(new Measurement { Section = Section, Name = $"{store}: order transaction without outbox, p99", Unit = "ms", Runs = f.P99Without, Parameters = p, Note = note }, load);
        ctx.Results.Add(new Measurement { Section = Section, Name = $"{store}: order transaction with EnqueueAsync, p50", Unit = "ms", Runs = f.P50With, Parameters = p, Note = note }, load);
        ctx.Results.Add(new Measurement { Section = Section, Name = $"{store}: order transaction with EnqueueAsync, p99", Unit = "ms", Runs = f.P99With, Parameters = p, Note = note }, load);
        ctx.Results.Add(new Measurement { Section = Section, Name = $"{store}: added by EnqueueAsync, p50", Unit = "ms", Runs = [.. f.P50With.Zip(f.P50Without, (a, b) => a - b)], Parameters = p, Note = note }, load);
        ctx.Results.Add(new Measurement { Section = Section, Name = $"{store}: added by EnqueueAsync, p99", Unit = "ms", Runs = [.. f.P99With.Zip(f.P99Without, (a, b) => a - b)], Parameters = p, Note = note }, load);
    }
}
