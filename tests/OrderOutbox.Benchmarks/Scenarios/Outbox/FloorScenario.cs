using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using NpgsqlTypes;
using OrderOutbox.Benchmarks.Infrastructure;

namespace OrderOutbox.Benchmarks.Scenarios;

/// <summary>
/// 1d. The bare-insert floor (issue 12): the order transaction (UPDATE order + COMMIT) alone, with
/// <c>EnqueueAsync</c> (the library's default options), and with the same row inserted by hand into a bare table that
/// has the outbox table's columns and defaults but only a primary key (no partial indexes, no CHECK, no notification)
/// — the floor of "one more row in the transaction". The three variants are interleaved order by order, so load
/// swings hit them alike. Cost = p50 of the transaction minus p50 without either; the ratio is enqueue cost / floor cost.
/// </summary>
internal static class FloorScenario
{
    public const string Section = "1d. Enqueue against the bare-insert floor";
    public const string Table = "floor_outbox";
    public const string BareTable = "floor_bare";

    public const string RatioName = "PostgreSQL: enqueue cost / bare-insert cost (added p50 over added p50)";

    public const string TotalRatioName = "PostgreSQL: order transaction with EnqueueAsync / with the bare insert (p50 over p50)";

    private static readonly JsonSerializerOptions Web = new(JsonSerializerDefaults.Web);

    public static async Task RunAsync(BenchContext ctx)
    {
        var s = ctx.Settings;
        await Pg.ExecAsync(ctx.Db, $"drop table if exists {ctx.Schema}.{Table}");
        using var host = OutboxHost.PostgreSql(s.Postgres, ctx.Schema, Table, ctx.Receiver.Endpoint, o => o.RunDispatcher = false, notifications: true, defaults: true);
        await host.StartAsync();
        try
        {
            await Pg.ExecAsync(ctx.Db, $"drop table if exists {ctx.Schema}.{BareTable}; create table {ctx.Schema}.{BareTable} (like {ctx.Schema}.{Table} including defaults); alter table {ctx.Schema}.{BareTable} add primary key (id)");
            var writer = host.Services.GetRequiredService<IOutboxWriter>();
            await using var app = NpgsqlDataSource.Create(s.Postgres);
            var update = OrderTransactions.PgUpdateSql(ctx.Schema);
            var insert = $"insert into {ctx.Schema}.{BareTable} (id, message_type, aggregate_id, payload, next_attempt_at, created_at) values ($1, $2, $3, $4, $5, $5)";
            var n = s.EnqueueTransactions;
            var load = Machine.Load1().ToString("N2", CultureInfo.InvariantCulture);
            var names = new[] { "without either", "with EnqueueAsync (default options)", "with the bare insert" };
            var p50 = names.Select(_ => new double[s.Runs]).ToArray();
            var p99 = names.Select(_ => new double[s.Runs]).ToArray();
            for (var run = -1; run < s.Runs; run++)
            {
                var count = run < 0 ? Math.Max(100, n / 4) : n;
                var samples = names.Select(_ => new double[count]).ToArray();
                for (var i = 0; i < count; i++)
                {
                    var order = (run + 1) * 100_000 + i + 500_000;
                    for (var k = 0; k < 3; k++)
                    {
                        var v = (k + i) % 3;
                        samples[v][i] = await OneAsync(app, update, insert, v, writer, order);
                    }
                }

                await Pg.ExecAsync(ctx.Db, $"truncate {ctx.Schema}.{Table}, {ctx.Schema}.{BareTable}");
                if (run < 0)
                {
                    continue;
                }

                for (var v = 0; v < 3; v++)
                {
                    Array.Sort(samples[v]);
                    p50[v][run] = Stats.Percentile(samples[v], 50);
                    p99[v][run] = Stats.Percentile(samples[v], 99);
                }

                Console.WriteLine($"    floor run {run + 1}: p50 {string.Join(" | ", names.Select((x, v) => $"{x} {p50[v][run]:N3}"))} ms (load {Machine.LoadAverage()})");
            }

            var par = new Dictionary<string, object?> { ["transactions"] = n };
            var note = $"floor: {n} order transactions per variant per run (pooled open → BEGIN → UPDATE order → [EnqueueAsync | INSERT into {BareTable}] → COMMIT), the three variants interleaved; {BareTable} = LIKE the outbox table INCLUDING DEFAULTS plus a primary key on id, nothing else; the bare insert serialises the same payload with System.Text.Json (web defaults) and binds six parameters. Added cost = p50(variant) − p50(without either), per run.";
            for (var v = 0; v < 3; v++)
            {
                ctx.Results.Add(new Measurement { Section = Section, Name = $"PostgreSQL: order transaction {names[v]}, p50", Unit = "ms", Runs = p50[v], Parameters = par, Note = note }, load);
                ctx.Results.Add(new Measurement { Section = Section, Name = $"PostgreSQL: order transaction {names[v]}, p99", Unit = "ms", Runs = p99[v], Parameters = par, Note = note }, load);
            }

            var addedEnqueue = p50[1].Zip(p50[0], (a, b) => a - b).ToArray();
            var addedBare = p50[2].Zip(p50[0], (a, b) => a - b).ToArray();
            ctx.Results.Add(new Measurement { Section = Section, Name = "PostgreSQL: added by EnqueueAsync, p50", Unit = "ms", Runs = addedEnqueue, Parameters = par, Note = note }, load);
            ctx.Results.Add(new Measurement { Section = Section, Name = "PostgreSQL: added by the bare insert, p50", Unit = "ms", Runs = addedBare, Parameters = par, Note = note }, load);
            ctx.Results.Add(new Measurement { Section = Section, Name = RatioName, Unit = "ratio", Runs = [.. addedEnqueue.Zip(addedBare, (a, b) => a / b)], Parameters = par, Note = note }, load);
            ctx.Results.Add(new Measurement { Section = Section, Name = TotalRatioName, Unit = "ratio", Runs = [.. p50[1].Zip(p50[2], (a, b) => a / b)], Parameters = par, Note = note }, load);
        }
        finally
        {
            await host.StopAsync();
        }
    }

    private static async Task<double> OneAsync(NpgsqlDataSource app, string update, string insert, int variant, IOutboxWriter writer, int order)
    {
        var payload = Payloads.Create(order % 1000);
        if (variant != 2)
        {
            var r = await OrderTransactions.PostgresAsync(app, update, variant == 1 ? writer : null, order, payload);
            return Stats.TicksToMs(r.Committed - r.Start);
        }

        var start = Stopwatch.GetTimestamp();
        await using var conn = await app.OpenConnectionAsync();
        await using var tx = await conn.BeginTransactionAsync();
        await using (var cmd = new NpgsqlCommand(update, conn, tx))
        {
            cmd.Parameters.Add(new NpgsqlParameter<long> { TypedValue = order % Pg.OrderCount + 1 });
            cmd.Parameters.Add(new NpgsqlParameter<decimal> { TypedValue = payload.Amount });
            await cmd.ExecuteNonQueryAsync();
        }

        await using (var cmd = new NpgsqlCommand(insert, conn, tx))
        {
            cmd.Parameters.Add(new NpgsqlParameter<Guid> { TypedValue = Guid.CreateVersion7() });
            cmd.Parameters.Add(new NpgsqlParameter<string> { TypedValue = Payloads.MessageType });
            cmd.Parameters.Add(new NpgsqlParameter<string> { TypedValue = payload.OrderId.ToString() });
            cmd.Parameters.Add(new NpgsqlParameter<string> { TypedValue = JsonSerializer.Serialize(payload, Web), NpgsqlDbType = NpgsqlDbType.Text });
            cmd.Parameters.Add(new NpgsqlParameter<DateTimeOffset> { TypedValue = DateTimeOffset.UtcNow });
            await cmd.ExecuteNonQueryAsync();
        }

        await tx.CommitAsync();
        return Stats.TicksToMs(Stopwatch.GetTimestamp() - start);
    }
}
