using System.Diagnostics;
using System.Globalization;
using OrderOutbox.Benchmarks.Infrastructure;
using OrderOutbox.PostgreSql;

namespace OrderOutbox.Benchmarks.Scenarios;

/// <summary>
/// 8. Statistics on a long history (issue 13): <c>GetStatisticsAsync</c> call time with 10M SENT rows in the table
/// (1M with --quick), a backlog of 1,000 due records and 100 dead letters, p50 and p99 over 500 calls; target under
/// 10 ms on PostgreSQL. Next to it, a few runs of the 0.1 statement (one GROUP BY over the whole table) on the same
/// table, for the before figure. The SENT rows are loaded once with generate_series (ordered IDs) and kept between runs.
/// </summary>
internal static class StatisticsScenario
{
    public const string Section = "8. Statistics on a long history";
    private const string Table = "stats_outbox";
    private const int Calls = 500;
    private const int Warmup = 50;

    public static async Task RunAsync(BenchContext ctx)
    {
        long rows = ctx.Settings.Quick ? 1_000_000 : 10_000_000;
        string q = $"\"{ctx.Schema}\".\"{Table}\"";
        var store = new PostgreSqlOutboxStore(ctx.Db, new PostgreSqlOutboxOptions { Schema = ctx.Schema, TableName = Table });
        await store.EnsureSchemaAsync();
        await EnsureSentRowsAsync(ctx, q, rows);
        await Pg.ExecAsync(ctx.Db, $"delete from {q} where status <> 'SENT'");
        await Pg.ExecAsync(ctx.Db,
            $"insert into {q} (id, message_type, payload, status, retry_count, next_attempt_at, created_at, last_attempt_at, last_error) " +
            "select gen_random_uuid(), 'order.completed', '{}', case when g.i <= 100 then 'DEAD_LETTER' when g.i % 2 = 0 then 'FAILED' else 'PENDING' end, 0, " +
            "now() - g.i * interval '1 second', now() - interval '1 hour', now(), 'HTTP 503' from generate_series(1, 1100) as g(i)");
        await Pg.ExecAsync(ctx.Db, $"vacuum analyze {q}");
        var load = Machine.Load1().ToString("N2", CultureInfo.InvariantCulture);

        OutboxStatistics stats = await store.GetStatisticsAsync();
        for (int i = 0; i < Warmup; i++)
        {
            await store.GetStatisticsAsync();
        }

        var samples = new double[Calls];
        for (int i = 0; i < Calls; i++)
        {
            long started = Stopwatch.GetTimestamp();
            await store.GetStatisticsAsync();
            samples[i] = Stats.TicksToMs(Stopwatch.GetTimestamp() - started);
        }

        // The floor of any call on this machine at this load: open a pooled connection, one round trip, close.
        var floor = new double[Calls];
        for (int i = 0; i < Calls; i++)
        {
            long started = Stopwatch.GetTimestamp();
            await using (var connection = await ctx.Db.OpenConnectionAsync())
            await using (var command = new Npgsql.NpgsqlCommand("SELECT 1", connection))
            {
                await command.ExecuteScalarAsync();
            }

            floor[i] = Stats.TicksToMs(Stopwatch.GetTimestamp() - started);
        }

        var before = new List<double>();
        for (int i = 0; i < 3; i++)
        {
            long started = Stopwatch.GetTimestamp();
            await Pg.ExecAsync(ctx.Db, $"select status, count(*), count(*) filter (where status in ('PENDING', 'FAILED') and locked_until > now()) from {q} group by status");
            before.Add(Stats.TicksToMs(Stopwatch.GetTimestamp() - started));
        }

        double[] sorted = [.. samples.Order()];
        double p50 = Stats.Percentile(sorted, 50), p99 = Stats.Percentile(sorted, 99);
        var p = new Dictionary<string, object?> { ["sentRows"] = rows, ["backlog"] = 1000, ["deadLetters"] = 100, ["calls"] = Calls };
        string note = $"statistics read: pending {stats.Pending}, failed {stats.Failed}, due {stats.Due}, dead letters {stats.DeadLetter}, SENT estimate {stats.SentEstimate?.ToString("N0", CultureInfo.InvariantCulture) ?? "none"} (exact {rows:N0}).";
        ctx.Results.Add(new Measurement { Section = Section, Name = $"GetStatisticsAsync call time, {rows:N0} SENT rows (median = p50)", Unit = "ms", Runs = samples, Parameters = p, Note = note }, load);
        ctx.Results.Add(new Measurement { Section = Section, Name = $"GetStatisticsAsync call time, {rows:N0} SENT rows, p99", Unit = "ms", Runs = [p99], Parameters = p }, load);
        ctx.Results.Add(new Measurement { Section = Section, Name = "SELECT 1 through a pooled connection, the same way (the floor of any call here)", Unit = "ms", Runs = floor, Parameters = p }, load);
        ctx.Results.Add(new Measurement { Section = Section, Name = "SELECT 1 through a pooled connection, p99", Unit = "ms", Runs = [Stats.Percentile(floor.AsEnumerable(), 99)], Parameters = p }, load);
        ctx.Results.Add(new Measurement
        {
            Section = Section,
            Name = $"statistics statement alone on the server (EXPLAIN ANALYZE execution time), {rows:N0} SENT rows",
            Unit = "ms",
            Runs = [.. await ServerTimesAsync(ctx, store)],
            Parameters = p,
            Note = "the server's own time, without the client round trip and scheduling: what the statement costs when the 2 cores are not shared",
        }, load);
        ctx.Results.Add(new Measurement { Section = Section, Name = $"0.1 statistics (GROUP BY over the whole table), {rows:N0} SENT rows", Unit = "ms", Runs = [.. before], Parameters = p }, load);
        ctx.Results.Target(new TargetCheck(
            "pg.statistics.10m.p99",
            "statistics under 10 ms on PostgreSQL with 10M SENT rows (p99)",
            Math.Round(p99, 4),
            "ms",
            rows >= 10_000_000 ? p99 < 10 : null,
            "issue 13",
            $"p50 {p50.ToString("N2", CultureInfo.InvariantCulture)} ms, p99 {p99.ToString("N2", CultureInfo.InvariantCulture)} ms ({rows:N0} rows{(rows < 10_000_000 ? ", fewer than 10M: no verdict" : "")})"));
    }

    private static async Task<List<double>> ServerTimesAsync(BenchContext ctx, PostgreSqlOutboxStore store)
    {
        var times = new List<double>();
        await using var connection = await ctx.Db.OpenConnectionAsync();
        for (int i = 0; i < 20; i++)
        {
            await using var explain = new Npgsql.NpgsqlCommand("EXPLAIN (ANALYZE, FORMAT JSON) " + store.StatisticsSql, connection);
            explain.Parameters.Add(new Npgsql.NpgsqlParameter<DateTimeOffset> { TypedValue = DateTimeOffset.UtcNow });
            explain.Parameters.Add(new Npgsql.NpgsqlParameter<string> { TypedValue = store.QualifiedSentIndexName });
            string json = (string)(await explain.ExecuteScalarAsync())!;
            using var plan = System.Text.Json.JsonDocument.Parse(json);
            times.Add(plan.RootElement[0].GetProperty("Execution Time").GetDouble());
        }

        return times;
    }

    private static async Task EnsureSentRowsAsync(BenchContext ctx, string table, long rows)
    {
        // Loaded in ID order, chunk by chunk: the last ID present and the next one absent means a complete load (two index
        // lookups; a count(*) of 10M rows would take longer than the command timeout on a loaded machine).
        bool complete = (bool)(await Pg.ScalarAsync(ctx.Db,
            $"select exists (select 1 from {table} where id = lpad(to_hex({rows}::bigint), 32, '0')::uuid) " +
            $"and not exists (select 1 from {table} where id = lpad(to_hex({rows + 1}::bigint), 32, '0')::uuid)"))!;
        if (complete)
        {
            return;
        }

        await Pg.ExecAsync(ctx.Db, $"truncate {table}");
        const long chunk = 1_000_000;
        for (long from = 1; from <= rows; from += chunk)
        {
            long to = Math.Min(rows, from + chunk - 1);
            long started = Stopwatch.GetTimestamp();
            // Ordered IDs (the index of the row as a UUID) append to the primary key like UUIDv7 would.
            await Pg.ExecAsync(ctx.Db,
                $"insert into {table} (id, message_type, aggregate_id, payload, status, retry_count, next_attempt_at, created_at, last_attempt_at, sent_at) " +
                "select lpad(to_hex(g.i), 32, '0')::uuid, 'order.completed', 'order-' || g.i, '{\"orderId\":\"o\"}', 'SENT', 0, t, t, t, t " +
                $"from generate_series({from}::bigint, {to}::bigint) as g(i), lateral (select timestamptz '2030-01-01' + g.i * interval '1 millisecond') as x(t)");
            Console.WriteLine($"    statistics: loaded SENT rows {from:N0}–{to:N0} in {Stats.TicksToMs(Stopwatch.GetTimestamp() - started) / 1000:N1} s");
        }
    }
}
