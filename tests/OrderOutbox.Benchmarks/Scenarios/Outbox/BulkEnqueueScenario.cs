using System.Diagnostics;
using System.Globalization;
using System.Text;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Npgsql;
using NpgsqlTypes;
using OrderOutbox.Benchmarks.Infrastructure;

namespace OrderOutbox.Benchmarks.Scenarios;

/// <summary>
/// Bulk enqueue and already-serialised JSON (<c>--only bulk</c>): records/s of <c>EnqueueManyAsync</c> (1,000 per call,
/// one transaction per call) against a loop of 1,000 single <c>EnqueueAsync</c> in one transaction, on PostgreSQL and
/// SQLite; on PostgreSQL the store's <c>INSERT … SELECT FROM unnest</c> against a hand-written binary <c>COPY</c> of the
/// same rows at 100 / 1,000 / 10,000 rows per call; and the p50 of an enqueue transaction (begin, enqueue, commit) with a
/// raw JSON payload against the same payload as an object. The dispatcher is off.
/// </summary>
internal static class BulkEnqueueScenario
{
    public const string Section = "1b. Bulk enqueue and already-serialised JSON";
    public const string PgTable = "bulk_outbox";
    private const int PerCall = 1_000;

    public static async Task RunAsync(BenchContext ctx)
    {
        await PostgresAsync(ctx);
        await SqliteAsync(ctx);
    }

    private static async Task PostgresAsync(BenchContext ctx)
    {
        using var host = OutboxHost.PostgreSql(ctx.Settings.Postgres, ctx.Schema, PgTable, ctx.Receiver.Endpoint, o => o.RunDispatcher = false, notifications: true);
        await host.StartAsync();
        using var quiet = OutboxHost.PostgreSql(ctx.Settings.Postgres, ctx.Schema, PgTable, ctx.Receiver.Endpoint, o => o.RunDispatcher = false, notifications: false);
        await quiet.StartAsync();
        try
        {
            var writer = host.Services.GetRequiredService<IOutboxWriter>();
            await using var app = NpgsqlDataSource.Create(ctx.Settings.Postgres);
            string table = $"{ctx.Schema}.{PgTable}";
            var load = Machine.Load1().ToString("N2", CultureInfo.InvariantCulture);

            await BulkVersusLoopAsync(ctx, "PostgreSQL", writer, async () => await app.OpenConnectionAsync(), () => Pg.ExecAsync(ctx.Db, $"truncate {table}"), load);

            // unnest (the store, notifications off) against binary COPY (written here), the same pre-serialised rows.
            var quietWriter = quiet.Services.GetRequiredService<IOutboxWriter>();
            int total = ctx.Settings.Quick ? 10_000 : 30_000;
            string[] json = Enumerable.Range(0, 10_000).Select(Payloads.Json).ToArray();
            foreach (int rows in new[] { 100, 1_000, 10_000 })
            {
                var unnest = new double[ctx.Settings.Runs];
                var copy = new double[ctx.Settings.Runs];
                OutboxItem<OutboxJson>[] items = json.Take(rows).Select((j, i) => new OutboxItem<OutboxJson>(Payloads.MessageType, OutboxJson.FromString(j), "order-" + i)).ToArray();
                for (int run = -1; run < ctx.Settings.Runs; run++)
                {
                    await Pg.ExecAsync(ctx.Db, $"truncate {table}");
                    double u = 0, c = 0;
                    foreach (bool useCopy in run % 2 == 0 ? new[] { true, false } : new[] { false, true })
                    {
                        long start = Stopwatch.GetTimestamp();
                        for (int done = 0; done < total; done += rows)
                        {
                            await using var conn = await app.OpenConnectionAsync();
                            await using var tx = await conn.BeginTransactionAsync();
                            if (useCopy)
                            {
                                await CopyAsync(conn, table, json, rows);
                            }
                            else
                            {
                                await quietWriter.EnqueueManyAsync(tx, items);
                            }

                            await tx.CommitAsync();
                        }

                        double rate = total / Stopwatch.GetElapsedTime(start).TotalSeconds;
                        if (useCopy)
                        {
                            c = rate;
                        }
                        else
                        {
                            u = rate;
                        }
                    }

                    if (run >= 0)
                    {
                        unnest[run] = u;
                        copy[run] = c;
                        Console.WriteLine($"    PostgreSQL {rows} rows per call, run {run + 1}: unnest {u:N0}/s, COPY {c:N0}/s (load {Machine.LoadAverage()})");
                    }
                }

                var p = new Dictionary<string, object?> { ["rows per call"] = rows, ["records per run"] = total };
                const string note = "one transaction per call, pre-serialised payloads for both (unnest via EnqueueManyAsync of OutboxJson, notifications off; COPY written by the harness with the same columns, not a store feature), alternating order per run.";
                ctx.Results.Add(new Measurement { Section = Section, Name = $"PostgreSQL: unnest insert, {rows:N0} rows per call", Unit = "records/s", Runs = unnest, Parameters = p, Note = note }, load);
                ctx.Results.Add(new Measurement { Section = Section, Name = $"PostgreSQL: binary COPY, {rows:N0} rows per call", Unit = "records/s", Runs = copy, Parameters = p, Note = note }, load);
            }

            await RawVersusObjectAsync(ctx, "PostgreSQL", writer, async () => await app.OpenConnectionAsync(), load);
        }
        finally
        {
            await quiet.StopAsync();
            await host.StopAsync();
        }
    }

    private static async Task SqliteAsync(BenchContext ctx)
    {
        Directory.CreateDirectory(ctx.Settings.SqliteDirectory);
        var file = Path.Combine(ctx.Settings.SqliteDirectory, "bulk.db");
        var cs = $"Data Source={file};Pooling=True";
        using var host = OutboxHost.Sqlite(cs, "outbox_messages", ctx.Receiver.Endpoint, o => o.RunDispatcher = false);
        await host.StartAsync();
        try
        {
            var writer = host.Services.GetRequiredService<IOutboxWriter>();
            var load = Machine.Load1().ToString("N2", CultureInfo.InvariantCulture);
            async Task<System.Data.Common.DbConnection> Open()
            {
                var conn = new SqliteConnection(cs);
                await conn.OpenAsync();
                return conn;
            }

            async Task Truncate()
            {
                await using var conn = await Open();
                await using var cmd = conn.CreateCommand();
                cmd.CommandText = "delete from outbox_messages";
                await cmd.ExecuteNonQueryAsync();
            }

            await BulkVersusLoopAsync(ctx, "SQLite", writer, Open, Truncate, load);
            await RawVersusObjectAsync(ctx, "SQLite", writer, Open, load);
        }
        finally
        {
            await host.StopAsync();
        }
    }

    /// <summary>Records/s of EnqueueManyAsync (1,000 per call) against 1,000 single enqueues per transaction, alternating per run.</summary>
    private static async Task BulkVersusLoopAsync(
        BenchContext ctx, string store, IOutboxWriter writer, Func<Task<System.Data.Common.DbConnection>> open, Func<Task> truncate, string load)
    {
        int calls = ctx.Settings.Quick ? 5 : 15;
        OutboxItem<OrderCompleted>[] items = Enumerable.Range(0, PerCall)
            .Select(i => new OutboxItem<OrderCompleted>(Payloads.MessageType, Payloads.Create(i), "order-" + i)).ToArray();
        var bulk = new double[ctx.Settings.Runs];
        var loop = new double[ctx.Settings.Runs];
        for (int run = -1; run < ctx.Settings.Runs; run++)
        {
            await truncate();
            double b = 0, l = 0;
            foreach (bool many in run % 2 == 0 ? new[] { true, false } : new[] { false, true })
            {
                long start = Stopwatch.GetTimestamp();
                for (int call = 0; call < calls; call++)
                {
                    await using var conn = await open();
                    await using var tx = await conn.BeginTransactionAsync();
                    if (many)
                    {
                        await writer.EnqueueManyAsync(tx, items);
                    }
                    else
                    {
                        foreach (OutboxItem<OrderCompleted> item in items)
                        {
                            await writer.EnqueueAsync(tx, item.MessageType, item.Payload, item.AggregateId);
                        }
                    }

                    await tx.CommitAsync();
                }

                double rate = calls * PerCall / Stopwatch.GetElapsedTime(start).TotalSeconds;
                if (many)
                {
                    b = rate;
                }
                else
                {
                    l = rate;
                }
            }

            if (run >= 0)
            {
                bulk[run] = b;
                loop[run] = l;
                Console.WriteLine($"    {store} run {run + 1}: bulk {b:N0}/s, loop {l:N0}/s (load {Machine.LoadAverage()})");
            }
        }

        var p = new Dictionary<string, object?> { ["records per call"] = PerCall, ["calls per run"] = calls, ["store"] = store };
        const string note = "one transaction per 1,000 records (pooled open, begin, enqueue, commit); payloads ~315-byte order objects serialised by the writer; the two variants alternate per run; dispatcher off.";
        ctx.Results.Add(new Measurement { Section = Section, Name = $"{store}: bulk enqueue, 1,000 per call", Unit = "records/s", Runs = bulk, Parameters = p, Note = note }, load);
        ctx.Results.Add(new Measurement { Section = Section, Name = $"{store}: loop of single enqueues, 1,000 per transaction", Unit = "records/s", Runs = loop, Parameters = p, Note = note }, load);
        ctx.Results.Add(new Measurement { Section = Section, Name = $"{store}: bulk ÷ loop", Unit = "x", Runs = [.. bulk.Zip(loop, (a, b) => a / b)], Parameters = p, Note = note }, load);
    }

    /// <summary>p50 of an enqueue transaction with the payload as raw JSON bytes against the same payload as an object, interleaved.</summary>
    private static async Task RawVersusObjectAsync(
        BenchContext ctx, string store, IOutboxWriter writer, Func<Task<System.Data.Common.DbConnection>> open, string load)
    {
        int n = ctx.Settings.EnqueueTransactions;
        OrderCompleted[] objects = Enumerable.Range(0, 256).Select(Payloads.Create).ToArray();
        byte[][] raw = Enumerable.Range(0, 256).Select(i => Encoding.UTF8.GetBytes(Payloads.Json(i))).ToArray();
        var rawP50 = new double[ctx.Settings.Runs];
        var objectP50 = new double[ctx.Settings.Runs];
        for (int run = -1; run < ctx.Settings.Runs; run++)
        {
            int count = run < 0 ? Math.Max(100, n / 4) : n;
            var rawMs = new double[count];
            var objectMs = new double[count];
            for (int i = 0; i < count; i++)
            {
                foreach (bool useRaw in (i & 1) == 0 ? new[] { true, false } : new[] { false, true })
                {
                    long start = Stopwatch.GetTimestamp();
                    await using (var conn = await open())
                    await using (var tx = await conn.BeginTransactionAsync())
                    {
                        if (useRaw)
                        {
                            await writer.EnqueueJsonAsync(tx, Payloads.MessageType, raw[i & 255], "order-" + i);
                        }
                        else
                        {
                            await writer.EnqueueAsync(tx, Payloads.MessageType, objects[i & 255], "order-" + i);
                        }

                        await tx.CommitAsync();
                    }

                    (useRaw ? rawMs : objectMs)[i] = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
                }
            }

            if (run < 0)
            {
                continue;
            }

            Array.Sort(rawMs);
            Array.Sort(objectMs);
            rawP50[run] = Stats.Percentile(rawMs, 50);
            objectP50[run] = Stats.Percentile(objectMs, 50);
            Console.WriteLine($"    {store} run {run + 1}: raw JSON p50 {rawP50[run]:N3} ms, object p50 {objectP50[run]:N3} ms (load {Machine.LoadAverage()})");
        }

        var p = new Dictionary<string, object?> { ["transactions"] = n, ["store"] = store };
        const string note = "per transaction: pooled open, begin, one enqueue, commit; the same ~315-byte order as pre-serialised UTF-8 (EnqueueJsonAsync) or as an object (EnqueueAsync), interleaved one by one.";
        ctx.Results.Add(new Measurement { Section = Section, Name = $"{store}: raw JSON enqueue, p50", Unit = "ms", Runs = rawP50, Parameters = p, Note = note }, load);
        ctx.Results.Add(new Measurement { Section = Section, Name = $"{store}: object enqueue, p50", Unit = "ms", Runs = objectP50, Parameters = p, Note = note }, load);
    }

    private static async Task CopyAsync(NpgsqlConnection conn, string table, string[] json, int rows)
    {
        DateTimeOffset now = DateTimeOffset.UtcNow;
        await using var importer = await conn.BeginBinaryImportAsync(
            $"COPY {table} (id, message_type, aggregate_id, payload, headers, status, retry_count, next_attempt_at, created_at) FROM STDIN (FORMAT BINARY)");
        for (int i = 0; i < rows; i++)
        {
            await importer.StartRowAsync();
            await importer.WriteAsync(MessageId.NewId(now), NpgsqlDbType.Uuid);
            await importer.WriteAsync(Payloads.MessageType, NpgsqlDbType.Text);
            await importer.WriteAsync("order-" + i, NpgsqlDbType.Text);
            await importer.WriteAsync(json[i], NpgsqlDbType.Text);
            await importer.WriteNullAsync();
            await importer.WriteAsync("PENDING", NpgsqlDbType.Text);
            await importer.WriteAsync(0, NpgsqlDbType.Integer);
            await importer.WriteAsync(now, NpgsqlDbType.TimestampTz);
            await importer.WriteAsync(now, NpgsqlDbType.TimestampTz);
        }

        await importer.CompleteAsync();
    }
}
