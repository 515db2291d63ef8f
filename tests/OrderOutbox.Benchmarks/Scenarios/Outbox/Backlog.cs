using System.Diagnostics;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Npgsql;
using OrderOutbox.Benchmarks.Infrastructure;

namespace OrderOutbox.Benchmarks.Scenarios;

/// <summary>
/// Backlogs for the drain runs. A template table is filled once through the real writer (so every column is what the
/// store writes) and kept between harness runs while its columns match the store's; each run then copies the first
/// N template rows into the table under test server-side (fast), and vacuums/analyses it.
/// </summary>
internal static class Backlog
{
    public const string DrainTable = "drain_outbox";
    public const string TemplateTable = "drain_template";

    public static async Task<string> ColumnsAsync(NpgsqlDataSource ds, string schema, string table)
    {
        await using var cmd = ds.CreateCommand("select coalesce(string_agg(column_name || ' ' || data_type, ', ' order by ordinal_position), '') from information_schema.columns where table_schema = $1 and table_name = $2");
        cmd.Parameters.Add(new NpgsqlParameter<string> { TypedValue = schema });
        cmd.Parameters.Add(new NpgsqlParameter<string> { TypedValue = table });
        return (string)(await cmd.ExecuteScalarAsync())!;
    }

    /// <summary>As <see cref="EnsureTemplateAsync(BenchContext, IHost, int)"/>, through a host of its own (started and stopped here).</summary>
    public static async Task EnsureTemplateAsync(BenchContext ctx, int count)
    {
        var s = ctx.Settings;
        using var h = OutboxHost.PostgreSql(s.Postgres, ctx.Schema, DrainTable, ctx.Receiver.Endpoint, o => o.RunDispatcher = false, notifications: false);
        await h.StartAsync();
        await EnsureTemplateAsync(ctx, h, count);
        await h.StopAsync();
    }

    /// <summary>Makes sure the template holds at least <paramref name="count"/> PENDING records written by the writer of <paramref name="host"/> (a started host on <see cref="DrainTable"/>).</summary>
    public static async Task EnsureTemplateAsync(BenchContext ctx, IHost host, int count)
    {
        var schema = ctx.Schema;
        var drainColumns = await ColumnsAsync(ctx.Db, schema, DrainTable);
        var templateColumns = await ColumnsAsync(ctx.Db, schema, TemplateTable);
        if (templateColumns == drainColumns
            && (long)(await Pg.ScalarAsync(ctx.Db, $"select count(*) from {schema}.{TemplateTable}"))! >= count)
        {
            return;
        }

        Console.WriteLine($"    filling the backlog template with {count:N0} records through IOutboxWriter (once; kept for later runs)");
        var writer = host.Services.GetRequiredService<IOutboxWriter>();
        await Pg.ExecAsync(ctx.Db, $"drop table if exists {schema}.{TemplateTable}; truncate {schema}.{DrainTable}");
        var sw = Stopwatch.StartNew();
        const int PerTransaction = 500;
        const int Writers = 4;
        var next = -1;
        var tasks = Enumerable.Range(0, Writers).Select(_ => Task.Run(async () =>
        {
            while (true)
            {
                var chunk = Interlocked.Increment(ref next);
                var first = chunk * PerTransaction;
                if (first >= count)
                {
                    return;
                }

                await using var conn = await ctx.Db.OpenConnectionAsync();
                await using var tx = await conn.BeginTransactionAsync();
                for (var i = first; i < Math.Min(count, first + PerTransaction); i++)
                {
                    var payload = Payloads.Create(i % 1000);
                    await writer.EnqueueAsync(tx, Payloads.MessageType, payload, payload.OrderId.ToString());
                }

                await tx.CommitAsync();
            }
        })).ToArray();
        await Task.WhenAll(tasks);
        Console.WriteLine($"    template filled: {count / sw.Elapsed.TotalSeconds:N0} enqueues/s (4 writers, {PerTransaction} per transaction)");
        await Pg.ExecAsync(ctx.Db, $"create table {schema}.{TemplateTable} as select * from {schema}.{DrainTable}; truncate {schema}.{DrainTable}; analyze {schema}.{TemplateTable}");
    }

    /// <summary>Replaces the content of <paramref name="table"/> by the first <paramref name="count"/> template records.</summary>
    public static async Task LoadAsync(BenchContext ctx, string table, int count)
    {
        var s = ctx.Schema;
        await Pg.ExecAsync(ctx.Db, $"truncate {s}.{table}; insert into {s}.{table} select * from {s}.{TemplateTable} order by created_at, id limit {count}");
        await Pg.ExecAsync(ctx.Db, $"vacuum analyze {s}.{table}");
    }

    /// <summary>
    /// Drains the backlog of <paramref name="table"/> with <see cref="IOutboxProcessor.ProcessOnceAsync"/> until a cycle
    /// finds nothing; checks that every record reached the receiver and is SENT; returns messages per second.
    /// </summary>
    public static Task<double> DrainAsync(BenchContext ctx, IHost host, string table, int expected)
        => DrainAsync(ctx, [host], table, expected);

    /// <summary>
    /// Drains with every host's processor at once until the backlog is empty or <see cref="BenchSettings.RunTimeLimit"/>
    /// passes (then claiming stops, calls in flight finish and unstarted records are released). Checks that every attempted
    /// record is SENT and was received; returns attempted messages per second (including the stop's tail).
    /// </summary>
    public static async Task<double> DrainAsync(BenchContext ctx, IReadOnlyList<IHost> hosts, string table, int expected)
    {
        await ctx.Receiver.ResetAsync();
        var sentBefore = (long)(await Pg.ScalarAsync(ctx.Db, $"select count(*) from {ctx.Schema}.{table} where status = 'SENT'"))!;
        var cpu0 = await CpuSnapshot.TakeAsync(ctx.Db, ctx.Receiver.ProcessId);
        using var stop = new CancellationTokenSource(ctx.Settings.RunTimeLimit);
        var sw = Stopwatch.StartNew();
        var attempts = await Task.WhenAll(hosts.Select(async h =>
        {
            var processor = h.Services.GetRequiredService<IOutboxProcessor>();
            long attempted = 0;
            int k;
            while (!stop.IsCancellationRequested && (k = await processor.ProcessOnceAsync(stop.Token)) > 0)
            {
                attempted += k;
            }

            return attempted;
        }));
        var elapsed = sw.Elapsed.TotalSeconds;
        var attempted = attempts.Sum();
        LastCpu = (await CpuSnapshot.TakeAsync(ctx.Db, ctx.Receiver.ProcessId)).PerMessageSince(cpu0, attempted);
        var received = await ctx.Receiver.CountAsync();
        var sent = (long)(await Pg.ScalarAsync(ctx.Db, $"select count(*) from {ctx.Schema}.{table} where status = 'SENT'"))! - sentBefore;
        if (sent != attempted || received < attempted || attempted > expected || (attempted < expected && !stop.IsCancellationRequested))
        {
            throw new InvalidOperationException($"drain of {table}: backlog {expected}, attempted {attempted}, newly SENT {sent}, received {received}");
        }

        if (received > attempted)
        {
            Console.WriteLine($"    note: the receiver got {received - attempted} more POSTs than records attempted (duplicates)");
        }

        LastDrained = attempted;
        return attempted / elapsed;
    }

    /// <summary>
    /// Runs time-boxed drains against one table and reloads its backlog only when what is left could run short
    /// (less than twice the last run's delivery, or under a tenth of the backlog): a 100,000 backlog serves several
    /// runs of a slow configuration without being copied again each time. Delivered rows stay (SENT history).
    /// </summary>
    public sealed class Runner(BenchContext ctx, string table, int backlog)
    {
        private long _remaining;
        private long _last;

        public List<double> Delivered { get; } = [];

        public CpuRuns Cpu { get; } = new();

        /// <summary>A warm-up (<paramref name="run"/> &lt; 0: a small backlog drained to the end) or a measured run.</summary>
        public async Task<double> RunAsync(int run, Func<int, Task<double>> drain)
        {
            if (run < 0)
            {
                var warm = ctx.Settings.Warmup(backlog);
                await LoadAsync(ctx, table, warm);
                await drain(warm);
                _remaining = 0;
                return double.NaN;
            }

            if (_remaining < Math.Max(_last * 2, backlog / 10))
            {
                await LoadAsync(ctx, table, backlog);
                _remaining = backlog;
            }

            var rate = await drain((int)_remaining);
            _last = LastDrained;
            _remaining -= _last;
            Delivered.Add(_last);
            Cpu.Add(LastCpu);
            return rate;
        }
    }

    /// <summary>CPU µs per message of the last drain: this (dispatcher) process, PostgreSQL backends, receiver.</summary>
    public static (double Self, double Pg, double Receiver) LastCpu { get; private set; }

    /// <summary>The messages the last <see cref="DrainAsync(BenchContext, IReadOnlyList{IHost}, string, int)"/> delivered.</summary>
    public static long LastDrained { get; private set; }
}
