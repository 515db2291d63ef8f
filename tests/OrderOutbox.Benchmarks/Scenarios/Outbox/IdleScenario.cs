using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using Npgsql;
using OrderOutbox.Benchmarks.Infrastructure;

namespace OrderOutbox.Benchmarks.Scenarios;

/// <summary>
/// 4. Idle cost: what the hosted dispatcher with default options (poll every minute, PostgreSQL notifications as the
/// store defaults them) asks of the database while the outbox is empty. Counted three ways: the commands Npgsql
/// executes in the dispatcher's process (its <c>Npgsql</c> ActivitySource, with their SQL), the transactions the
/// database counted (<c>pg_stat_database</c>, the harness's own reads subtracted), and the scans of the outbox table
/// (<c>pg_stat_user_tables</c>). pg_stat_statements is not used: it needs shared_preload_libraries and a restart of a
/// server other helpers share.
/// </summary>
internal static class IdleScenario
{
    public const string Section = "4. Idle cost (empty outbox)";
    public const string Table = "idle_outbox";

    public static string Name(string how) => $"default options: {how}";

    private static readonly AsyncLocal<bool> Mine = new();

    public static async Task RunAsync(BenchContext ctx)
    {
        await MeasureAsync(ctx, "default options", defaults: true, ctx.Settings.IdleWindow);
        if (!ctx.Settings.Quick)
        {
            // A control with a known answer (60 polls a minute), to show the counting works.
            await MeasureAsync(ctx, "control: polling every 1 s, notifications off", defaults: false, TimeSpan.FromSeconds(15));
        }
    }

    private static async Task MeasureAsync(BenchContext ctx, string label, bool defaults, TimeSpan window)
    {
        var s = ctx.Settings;
        await Pg.ExecAsync(ctx.Db, $"drop table if exists {ctx.Schema}.{Table}");
        long commands = 0;
        var statements = new ConcurrentDictionary<string, int>();
        using var listener = new ActivityListener
        {
            ShouldListenTo = source => source.Name.StartsWith("Npgsql", StringComparison.Ordinal),
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => Mine.Value ? ActivitySamplingResult.None : ActivitySamplingResult.AllData,
            ActivityStopped = a =>
            {
                // Physical opens ("CONNECT …") are spans too; only commands are counted.
                if (a.DisplayName.StartsWith("CONNECT", StringComparison.Ordinal))
                {
                    return;
                }

                Interlocked.Increment(ref commands);
                var sql = a.TagObjects.Where(t => t.Key.Contains("query.text", StringComparison.Ordinal) || t.Key.Contains("statement", StringComparison.Ordinal))
                    .Select(t => t.Value as string).FirstOrDefault(v => v is not null) ?? a.DisplayName;
                sql = string.Join(' ', sql.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries));
                statements.AddOrUpdate(sql.Length > 90 ? sql[..90] + "…" : sql, 1, (_, n) => n + 1);
            },
        };
        ActivitySource.AddActivityListener(listener);

        var host = OutboxHost.PostgreSql(s.Postgres, ctx.Schema, Table, ctx.Receiver.Endpoint, o =>
        {
            if (!defaults)
            {
                o.PollingInterval = TimeSpan.FromSeconds(1);
            }
        }, notifications: false, defaults: defaults);
        var load = Machine.Load1().ToString("N2", CultureInfo.InvariantCulture);
        await host.StartAsync();
        // Let start-up (schema, LISTEN, first poll) finish and its statistics reach the server (idle backends flush within 10 s).
        await Task.Delay(TimeSpan.FromSeconds(s.Quick ? 3 : 12)); // --quick: the transaction count may still include start-up
        Mine.Value = true;
        var x0 = await Pg.TransactionsAsync(ctx.Db);
        var scans0 = await ScansAsync(ctx.Db, ctx.Schema);
        Mine.Value = false;
        var c0 = Interlocked.Read(ref commands);
        statements.Clear();
        var sw = Stopwatch.StartNew();
        await Task.Delay(window);
        var c1 = Interlocked.Read(ref commands);
        var elapsed = sw.Elapsed;
        // Stop the dispatcher (its backends flush their statistics when they exit), then read the server's counts.
        await host.StopAsync();
        host.Dispose();
        NpgsqlConnection.ClearAllPools();
        await Task.Delay(TimeSpan.FromSeconds(2));
        Mine.Value = true;
        var x1 = await Pg.TransactionsAsync(ctx.Db);
        var scans1 = await ScansAsync(ctx.Db, ctx.Schema);
        Mine.Value = false;
        var perMinute = 60.0 / elapsed.TotalSeconds;
        // The harness's own reads: one transaction for x0's query, two for the scans query... each read is one autocommit statement.
        const int OwnTransactions = 2;
        var txDelta = x1 - x0 - OwnTransactions;
        var par = new Dictionary<string, object?> { ["windowSeconds"] = Math.Round(elapsed.TotalSeconds), ["statements"] = statements.ToDictionary(k => k.Key, v => v.Value) };
        var note = "idle: the dispatcher host alone against an empty table for the window; 'Npgsql commands' counts the commands its process executed (ActivitySource 'Npgsql'), 'database transactions' is the pg_stat_database delta of the benchmark database (the harness's own reads removed; any other client of that database would add to it), 'outbox table scans' counts seq + index scans of the table. LISTEN waits and keepalives, if any, show in the transaction count only. Statement texts are in the JSON.";
        ctx.Results.Add(new Measurement { Section = Section, Name = $"{label}: Npgsql commands", Unit = "queries/min", Runs = [(c1 - c0) * perMinute], Parameters = par, Note = note }, load);
        ctx.Results.Add(new Measurement { Section = Section, Name = $"{label}: database transactions", Unit = "queries/min", Runs = [txDelta * perMinute], Parameters = par, Note = note }, load);
        ctx.Results.Add(new Measurement { Section = Section, Name = $"{label}: outbox table scans", Unit = "queries/min", Runs = [(scans1 - scans0) * perMinute], Parameters = par, Note = note }, load);
        Console.WriteLine("    statements seen: " + string.Join(" | ", statements.Select(kv => $"{kv.Value}× {kv.Key}")));
    }

    private static async Task<long> ScansAsync(NpgsqlDataSource ds, string schema)
    {
        await using var cmd = ds.CreateCommand("select coalesce(sum(coalesce(seq_scan, 0) + coalesce(idx_scan, 0)), 0)::bigint from pg_stat_user_tables where schemaname = $1 and relname = $2");
        cmd.Parameters.Add(new NpgsqlParameter<string> { TypedValue = schema });
        cmd.Parameters.Add(new NpgsqlParameter<string> { TypedValue = Table });
        return (long)(await cmd.ExecuteScalarAsync())!;
    }
}
