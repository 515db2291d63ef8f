using System.Globalization;
using Npgsql;
using OrderOutbox.Benchmarks.Infrastructure;

namespace OrderOutbox.Benchmarks.Scenarios;

/// <summary>
/// 2b. Throughput against a large history: the same backlog drained (batch 100, concurrency 16) from a table that
/// already holds many SENT rows (kept between harness runs, marked aggregate_id = 'history'), next to the fresh-table
/// figure of the same run. The claim should read only the partial index of due rows, so the rate must not fall.
/// </summary>
internal static class HistoryScenario
{
    public const string Table = "hist_outbox";
    public const int Batch = 100;
    public const int Concurrency = 16;

    public static string Name(long rows) => $"OrderOutbox drain, batch {Batch}, concurrency {Concurrency}, {rows:N0} SENT rows already in the table";

    public const string RatioName = "history / fresh table drain rate (batch 100, concurrency 16)";

    public static async Task RunAsync(BenchContext ctx)
    {
        var s = ctx.Settings;
        var n = s.Backlog;
        using (var h = OutboxHost.PostgreSql(s.Postgres, ctx.Schema, Backlog.DrainTable, ctx.Receiver.Endpoint, o => o.RunDispatcher = false, notifications: false))
        {
            await h.StartAsync();
            await Backlog.EnsureTemplateAsync(ctx, h, n);
            await h.StopAsync();
        }

        using var host = OutboxHost.PostgreSql(s.Postgres, ctx.Schema, Table, ctx.Receiver.Endpoint, o =>
        {
            o.RunDispatcher = false;
            o.BatchSize = Batch;
            o.MaxConcurrency = Concurrency;
        }, notifications: false);
        await host.StartAsync();
        try
        {
            await EnsureHistoryAsync(ctx, s.HistoryRows);
            var load = Machine.Load1().ToString("N2", CultureInfo.InvariantCulture);
            long seqScans = 0, idxScans = 0;
            var runs = await ctx.MeasureAsync($"outbox b={Batch} c={Concurrency} with history", async run =>
            {
                var count = run < 0 ? ctx.Settings.Warmup(n) : n;
                await Pg.ExecAsync(ctx.Db, $"delete from {ctx.Schema}.{Table} where aggregate_id is distinct from 'history'; insert into {ctx.Schema}.{Table} select * from {ctx.Schema}.{Backlog.TemplateTable} order by created_at, id limit {count}");
                await Pg.ExecAsync(ctx.Db, $"vacuum analyze {ctx.Schema}.{Table}");
                var before = await ScansAsync(ctx);
                var rate = await Backlog.DrainAsync(ctx, host, Table, count);
                var after = await ScansAsync(ctx);
                seqScans += after.Seq - before.Seq;
                idxScans += after.Idx - before.Idx;
                return rate;
            });
            var p = new Dictionary<string, object?> { ["batch"] = Batch, ["concurrency"] = Concurrency, ["messages"] = n, ["historyRows"] = s.HistoryRows };
            var m = ctx.Results.Add(new Measurement
            {
                Section = DrainScenario.Section,
                Name = Name(s.HistoryRows),
                Unit = "msg/s",
                Runs = runs,
                Parameters = p,
                Note = $"history: {s.HistoryRows:N0} SENT rows (copies of template rows with new IDs) stay in the table; during the warm-up and measured drains PostgreSQL counted {seqScans} sequential and {idxScans} index scans of the table (pg_stat_user_tables).",
            }, load);

            var fresh = ctx.Results.Find(DrainScenario.Section, DrainScenario.OutboxName(Batch, Concurrency));
            double[] freshRuns;
            if (fresh is not null && fresh.Parameters.TryGetValue("messages", out var fm) && Convert.ToInt32(fm, CultureInfo.InvariantCulture) == n)
            {
                freshRuns = fresh.Runs;
            }
            else
            {
                using var fh = OutboxHost.PostgreSql(s.Postgres, ctx.Schema, Backlog.DrainTable, ctx.Receiver.Endpoint, o =>
                {
                    o.RunDispatcher = false;
                    o.BatchSize = Batch;
                    o.MaxConcurrency = Concurrency;
                }, notifications: false);
                await fh.StartAsync();
                freshRuns = await ctx.MeasureAsync("outbox fresh table", async run =>
                {
                    var count = run < 0 ? ctx.Settings.Warmup(n) : n;
                    await Backlog.LoadAsync(ctx, Backlog.DrainTable, count);
                    return await Backlog.DrainAsync(ctx, fh, Backlog.DrainTable, count);
                });
                await fh.StopAsync();
                ctx.Results.Add(new Measurement { Section = DrainScenario.Section, Name = DrainScenario.OutboxName(Batch, Concurrency), Unit = "msg/s", Runs = freshRuns, Parameters = p }, load);
            }

            ctx.Results.Add(new Measurement
            {
                Section = DrainScenario.Section,
                Name = RatioName,
                Unit = "ratio",
                Runs = [Stats.Median(m.Runs) / Stats.Median(freshRuns)],
                Parameters = p,
                Note = "history/fresh: median over median (the runs are not paired).",
            }, load);
        }
        finally
        {
            await host.StopAsync();
        }
    }

    private static async Task EnsureHistoryAsync(BenchContext ctx, long rows)
    {
        var s = ctx.Schema;
        var have = (long)(await Pg.ScalarAsync(ctx.Db, $"select count(*) from {s}.{Table} where aggregate_id = 'history'"))!;
        if (have == rows)
        {
            return;
        }

        Console.WriteLine($"    writing {rows:N0} SENT history rows into {s}.{Table} (once; kept for later runs)");
        var columns = (await Backlog.ColumnsAsync(ctx.Db, s, Table)).Split(", ").Select(c => c.Split(' ')[0]).ToList();
        var select = string.Join(", ", columns.Select(c => c switch
        {
            "id" => "gen_random_uuid()",
            "status" => "'SENT'",
            "aggregate_id" => "'history'",
            "sent_at" or "last_attempt_at" => "t.created_at",
            "locked_until" or "locked_by" => "null",
            _ => "t." + c,
        }));
        var templateCount = (long)(await Pg.ScalarAsync(ctx.Db, $"select count(*) from {s}.{Backlog.TemplateTable}"))!;
        var copies = (rows + templateCount - 1) / templateCount;
        await Pg.ExecAsync(ctx.Db, $"truncate {s}.{Table}");
        await Pg.ExecAsync(ctx.Db, $"insert into {s}.{Table} ({string.Join(", ", columns)}) select {select} from {s}.{Backlog.TemplateTable} t cross join generate_series(1, {copies}) g limit {rows}");
        await Pg.ExecAsync(ctx.Db, $"vacuum analyze {s}.{Table}");
    }

    private static async Task<(long Seq, long Idx)> ScansAsync(BenchContext ctx)
    {
        // Backends flush their statistics at most once a second (idle ones within 10 s): the counts are approximate.
        await Pg.ExecAsync(ctx.Db, "select pg_sleep(1.1)");
        await using var cmd = ctx.Db.CreateCommand("select coalesce(seq_scan, 0), coalesce(idx_scan, 0) from pg_stat_user_tables where schemaname = $1 and relname = $2");
        cmd.Parameters.Add(new NpgsqlParameter<string> { TypedValue = ctx.Schema });
        cmd.Parameters.Add(new NpgsqlParameter<string> { TypedValue = Table });
        await using var reader = await cmd.ExecuteReaderAsync();
        return await reader.ReadAsync() ? (reader.GetInt64(0), reader.GetInt64(1)) : (0, 0);
    }
}
