using System.Globalization;
using Microsoft.Extensions.Hosting;
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
    /// <summary>The history table of a size: one per row count, so a quick run's small history never replaces the full run's 10M.</summary>
    public static string TableFor(long rows) => "hist_outbox_" + rows.ToString(CultureInfo.InvariantCulture);
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

        var table = TableFor(s.HistoryRows);
        using var host = Host(ctx, table);
        using var freshHost = Host(ctx, Backlog.DrainTable);
        await host.StartAsync();
        await freshHost.StartAsync();
        try
        {
            await EnsureHistoryAsync(ctx, table, s.HistoryRows);
            var load = Machine.Load1().ToString("N2", CultureInfo.InvariantCulture);
            long seqScans = 0, idxScans = 0;
            var hist = new List<double>();
            var fresh = new List<double>();
            // History and fresh-table runs alternate (pairs), so a load swing hits both alike.
            for (var run = -1; run < s.Runs; run++)
            {
                var count = run < 0 ? s.Warmup(n) : n;
                for (var k = 0; k < 2; k++)
                {
                    var historyFirst = (Math.Max(run, 0) + k) % 2 == 0;
                    double rate;
                    if (historyFirst)
                    {
                        await Pg.ExecAsync(ctx.Db, $"delete from {ctx.Schema}.{table} where id > lpad(to_hex({s.HistoryRows}::bigint), 32, '0')::uuid; insert into {ctx.Schema}.{table} select * from {ctx.Schema}.{Backlog.TemplateTable} order by created_at, id limit {count}");
                        await Pg.ExecAsync(ctx.Db, $"vacuum analyze {ctx.Schema}.{table}");
                        var before = await ScansAsync(ctx, table);
                        rate = await Backlog.DrainAsync(ctx, host, table, count);
                        var after = await ScansAsync(ctx, table);
                        seqScans += after.Seq - before.Seq;
                        idxScans += after.Idx - before.Idx;
                        if (run >= 0)
                        {
                            hist.Add(rate);
                        }
                    }
                    else
                    {
                        await Backlog.LoadAsync(ctx, Backlog.DrainTable, count);
                        rate = await Backlog.DrainAsync(ctx, freshHost, Backlog.DrainTable, count);
                        if (run >= 0)
                        {
                            fresh.Add(rate);
                        }
                    }
                }

                if (run >= 0)
                {
                    Console.WriteLine($"    history run {run + 1}: with history {hist[^1]:N0}, fresh table {fresh[^1]:N0} msg/s (load {Machine.LoadAverage()})");
                }
            }

            var p = new Dictionary<string, object?> { ["batch"] = Batch, ["concurrency"] = Concurrency, ["messages"] = n, ["historyRows"] = s.HistoryRows };
            var note = $"history: {s.HistoryRows:N0} SENT rows (copies of template rows with new IDs) stay in the table; each run drains a fresh {n:N0} backlog (time-boxed like the grid), alternating with a run on an empty table; during the history drains PostgreSQL counted {seqScans} sequential and {idxScans} index scans of the table (pg_stat_user_tables, approximate).";
            ctx.Results.Add(new Measurement { Section = DrainScenario.Section, Name = Name(s.HistoryRows), Unit = "msg/s", Runs = [.. hist], Parameters = p, Note = note }, load);
            ctx.Results.Add(new Measurement { Section = DrainScenario.Section, Name = $"OrderOutbox drain, batch {Batch}, concurrency {Concurrency}, empty table (paired with the history runs)", Unit = "msg/s", Runs = [.. fresh], Parameters = p, Note = note }, load);
            ctx.Results.Add(new Measurement
            {
                Section = DrainScenario.Section,
                Name = RatioName,
                Unit = "ratio",
                Runs = [.. hist.Zip(fresh, (h, f) => h / f)],
                Parameters = p,
                Note = note,
            }, load);
        }
        finally
        {
            await host.StopAsync();
            await freshHost.StopAsync();
        }
    }

    private static IHost Host(BenchContext ctx, string table) =>
        OutboxHost.PostgreSql(ctx.Settings.Postgres, ctx.Schema, table, ctx.Receiver.Endpoint, o =>
        {
            o.RunDispatcher = false;
            o.BatchSize = Batch;
            o.MaxConcurrency = Concurrency;
        }, notifications: false);

    private static async Task EnsureHistoryAsync(BenchContext ctx, string table, long rows)
    {
        // History rows get ordered IDs 1..rows (as UUIDs, all below any UUIDv7 of the backlog: older records), loaded in
        // chunks in ID order; the last ID present and the next one absent means a complete load (two index probes,
        // where a count(*) of 10M rows takes long on a loaded machine).
        var s = ctx.Schema;
        var complete = (bool)(await Pg.ScalarAsync(ctx.Db,
            $"select exists (select 1 from {s}.{table} where id = lpad(to_hex({rows}::bigint), 32, '0')::uuid) " +
            $"and not exists (select 1 from {s}.{table} where id = lpad(to_hex({rows + 1}::bigint), 32, '0')::uuid)"))!;
        if (complete)
        {
            return;
        }

        Console.WriteLine($"    writing {rows:N0} SENT history rows into {s}.{table} by SQL (once; kept for later runs)");
        var columns = (await Backlog.ColumnsAsync(ctx.Db, s, table)).Split(", ").Select(c => c.Split(' ')[0]).ToList();
        var select = string.Join(", ", columns.Select(c => c switch
        {
            "id" => "lpad(to_hex(g.i), 32, '0')::uuid",
            "status" => "'SENT'",
            "aggregate_id" => "'history'",
            "created_at" or "next_attempt_at" or "sent_at" or "last_attempt_at" => "t.created_at - interval '30 days' + g.i * interval '1 millisecond'",
            "locked_until" or "locked_by" => "null",
            _ => "t." + c,
        }));
        var templateCount = (long)(await Pg.ScalarAsync(ctx.Db, $"select count(*) from {s}.{Backlog.TemplateTable}"))!;
        await Pg.ExecAsync(ctx.Db, $"truncate {s}.{table}");
        const long chunk = 1_000_000;
        var total = System.Diagnostics.Stopwatch.StartNew();
        for (long from = 1; from <= rows; from += chunk)
        {
            var to = Math.Min(rows, from + chunk - 1);
            // Row i takes template row (i - from) of the ordered template: the same payloads and columns as the backlog.
            await Pg.ExecAsync(ctx.Db,
                $"insert into {s}.{table} ({string.Join(", ", columns)}) select {select} " +
                $"from generate_series({from}::bigint, {to}::bigint) g(i) " +
                $"join (select row_number() over (order by created_at, id) - 1 as k, * from {s}.{Backlog.TemplateTable}) t on t.k = (g.i - {from}) % {templateCount}");
            Console.WriteLine($"    history: rows {from:N0}–{to:N0} written ({total.Elapsed.TotalSeconds:N0} s so far)");
        }

        await Pg.ExecAsync(ctx.Db, $"vacuum analyze {s}.{table}");
    }

    private static async Task<(long Seq, long Idx)> ScansAsync(BenchContext ctx, string table)
    {
        // Backends flush their statistics at most once a second (idle ones within 10 s): the counts are approximate.
        await Pg.ExecAsync(ctx.Db, "select pg_sleep(1.1)");
        await using var cmd = ctx.Db.CreateCommand("select coalesce(seq_scan, 0), coalesce(idx_scan, 0) from pg_stat_user_tables where schemaname = $1 and relname = $2");
        cmd.Parameters.Add(new NpgsqlParameter<string> { TypedValue = ctx.Schema });
        cmd.Parameters.Add(new NpgsqlParameter<string> { TypedValue = table });
        await using var reader = await cmd.ExecuteReaderAsync();
        return await reader.ReadAsync() ? (reader.GetInt64(0), reader.GetInt64(1)) : (0, 0);
    }
}
