using System.Diagnostics;
using System.Globalization;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using OrderOutbox.Benchmarks.Infrastructure;

namespace OrderOutbox.Benchmarks.Scenarios;

/// <summary>
/// 2e. SQLite drain (issue 12): a PENDING backlog in a SQLite file (WAL) drained by <see cref="IOutboxProcessor.ProcessOnceAsync"/>
/// at batch 100 / concurrency 16 through the HTTP dispatcher, next to raw HTTP at concurrency 16, runs alternating
/// (raw, outbox) so a load swing hits both. Time-boxed like the PostgreSQL grid. History kept within a run.
/// </summary>
internal static class SqliteDrainScenario
{
    public const string Section = "2e. SQLite drain";
    public const string Table = "drain_outbox";
    public const string TemplateTable = "drain_template";
    public const int Batch = 100;
    public const int Concurrency = 16;

    public const string RatioName = "SQLite: OrderOutbox / raw HTTP, batch 100, concurrency 16";

    public static async Task RunAsync(BenchContext ctx)
    {
        var s = ctx.Settings;
        Directory.CreateDirectory(s.SqliteDirectory);
        var cs = $"Data Source={Path.Combine(s.SqliteDirectory, "drain.db")};Pooling=True";
        var n = s.Backlog;
        using var host = OutboxHost.Sqlite(cs, Table, ctx.Receiver.Endpoint, o =>
        {
            o.RunDispatcher = false;
            o.BatchSize = Batch;
            o.MaxConcurrency = Concurrency;
        });
        await host.StartAsync();
        try
        {
            await EnsureTemplateAsync(cs, host.Services.GetRequiredService<IOutboxWriter>(), n);
            var load = Machine.Load1().ToString("N2", CultureInfo.InvariantCulture);
            var outbox = new List<double>();
            var raw = new List<double>();
            var delivered = new List<double>();
            var cpu = new CpuRuns();
            for (var run = -1; run < s.Runs; run++)
            {
                var count = run < 0 ? s.Warmup(n) : n;
                var r = await RawHttp.RunAsync(ctx.Receiver.Endpoint, ctx.Bodies, count, Concurrency, s.RunTimeLimit);
                await LoadAsync(cs, count);
                var cpu0 = await CpuSnapshot.TakeAsync(ctx.Db, ctx.Receiver.ProcessId);
                var (rate, done) = await DrainAsync(ctx, cs, host.Services.GetRequiredService<IOutboxProcessor>(), count);
                if (run < 0)
                {
                    continue;
                }

                raw.Add(r);
                outbox.Add(rate);
                delivered.Add(done);
                cpu.Add((await CpuSnapshot.TakeAsync(ctx.Db, ctx.Receiver.ProcessId)).PerMessageSince(cpu0, done));
                Console.WriteLine($"    sqlite drain run {run + 1}: outbox {rate:N0} msg/s ({done:N0} delivered), raw HTTP {r:N0} msg/s (load {Machine.LoadAverage()})");
            }

            var p = new Dictionary<string, object?> { ["batch"] = Batch, ["concurrency"] = Concurrency, ["messages"] = n, ["deliveredPerRun"] = delivered, ["cpu"] = cpu.ToJson() };
            var note = $"SQLite drain: a file in WAL mode, backlog of {n:N0} copied from a template filled once by IOutboxWriter; ProcessOnceAsync until a cycle finds nothing or {s.RunTimeLimit.TotalSeconds:N0} s have passed; every attempted record checked SENT and received; raw HTTP (c=16) runs just before each drain. CPU µs/msg (dispatcher / PostgreSQL (none) / receiver): {cpu.Summary()}.";
            ctx.Results.Add(new Measurement { Section = Section, Name = "SQLite: OrderOutbox drain, batch 100, concurrency 16", Unit = "msg/s", Runs = [.. outbox], Parameters = p, Note = note }, load);
            ctx.Results.Add(new Measurement { Section = Section, Name = "SQLite: raw HTTP POST, concurrency 16 (paired runs)", Unit = "msg/s", Runs = [.. raw], Parameters = p, Note = note }, load);
            ctx.Results.Add(new Measurement { Section = Section, Name = RatioName, Unit = "ratio", Runs = [.. outbox.Zip(raw, (a, b) => a / b)], Parameters = p, Note = note }, load);
            ctx.Results.Add(new Measurement { Section = Section, Name = "SQLite: dispatcher CPU per message", Unit = "µs/msg", Runs = [.. cpu.Self], Parameters = p, Note = note }, load);
        }
        finally
        {
            await host.StopAsync();
        }
    }

    private static async Task<SqliteConnection> OpenAsync(string cs)
    {
        var c = new SqliteConnection(cs);
        await c.OpenAsync();
        return c;
    }

    private static async Task<object?> ScalarAsync(SqliteConnection c, string sql)
    {
        await using var cmd = c.CreateCommand();
        cmd.CommandText = sql;
        return await cmd.ExecuteScalarAsync();
    }

    private static async Task EnsureTemplateAsync(string cs, IOutboxWriter writer, int count)
    {
        await using var c = await OpenAsync(cs);
        const string Columns = "select group_concat(name || ' ' || type, ', ') from (select name, type from pragma_table_info('{0}') order by cid)";
        var drainColumns = (string?)await ScalarAsync(c, string.Format(CultureInfo.InvariantCulture, Columns, Table));
        var templateColumns = await ScalarAsync(c, string.Format(CultureInfo.InvariantCulture, Columns, TemplateTable)) as string;
        if (templateColumns == drainColumns && (long)(await ScalarAsync(c, $"select count(*) from {TemplateTable}"))! >= count)
        {
            return;
        }

        Console.WriteLine($"    filling the SQLite backlog template with {count:N0} records through IOutboxWriter (once; kept for later runs)");
        await ScalarAsync(c, $"drop table if exists {TemplateTable}; delete from {Table}");
        const int PerTransaction = 1000;
        for (var first = 0; first < count; first += PerTransaction)
        {
            await using var tx = await c.BeginTransactionAsync();
            for (var i = first; i < Math.Min(count, first + PerTransaction); i++)
            {
                var payload = Payloads.Create(i % 1000);
                await writer.EnqueueAsync(tx, Payloads.MessageType, payload, payload.OrderId.ToString());
            }

            await tx.CommitAsync();
        }

        await ScalarAsync(c, $"create table {TemplateTable} as select * from {Table}; delete from {Table}");
    }

    private static async Task LoadAsync(string cs, int count)
    {
        await using var c = await OpenAsync(cs);
        await ScalarAsync(c, $"delete from {Table}; insert into {Table} select * from {TemplateTable} limit {count}; analyze");
    }

    private static async Task<(double Rate, long Done)> DrainAsync(BenchContext ctx, string cs, IOutboxProcessor processor, int expected)
    {
        await ctx.Receiver.ResetAsync();
        using var stop = new CancellationTokenSource(ctx.Settings.RunTimeLimit);
        var sw = Stopwatch.StartNew();
        long attempted = 0;
        int k;
        while (!stop.IsCancellationRequested && (k = await processor.ProcessOnceAsync(stop.Token)) > 0)
        {
            attempted += k;
        }

        var elapsed = sw.Elapsed.TotalSeconds;
        var received = await ctx.Receiver.CountAsync();
        await using var c = await OpenAsync(cs);
        var sent = (long)(await ScalarAsync(c, $"select count(*) from {Table} where status = 'SENT'"))!;
        if (sent != attempted || received < attempted || (attempted < expected && !stop.IsCancellationRequested))
        {
            throw new InvalidOperationException($"SQLite drain: backlog {expected}, attempted {attempted}, SENT {sent}, received {received}");
        }

        return (attempted / elapsed, attempted);
    }
}
