using System.Diagnostics;
using System.Globalization;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using OrderOutbox.Benchmarks.Infrastructure;

namespace OrderOutbox.Benchmarks.Scenarios;

/// <summary>
/// 1b. Enqueue cost through Entity Framework Core next to the raw writer, in one run on PostgreSQL (wake-up on):
/// four variants interleaved transaction by transaction — raw order update without and with
/// <c>IOutboxWriter.EnqueueAsync</c>, and the same update through a new <c>DbContext</c> and <c>SaveChangesAsync</c>
/// without and with <c>Outbox().Enqueue</c>. Reports p50/p99 per order of each, and what the enqueue adds to each.
/// </summary>
internal static class EfEnqueueScenario
{
    private const string Section = EnqueueScenario.Section;

    private static readonly string[] Variants = ["raw", "raw + EnqueueAsync", "EF Core", "EF Core + Outbox().Enqueue"];

    public static async Task RunAsync(BenchContext ctx)
    {
        using var host = OutboxHost.PostgreSql(
            ctx.Settings.Postgres, ctx.Schema, EnqueueScenario.PgTable, ctx.Receiver.Endpoint, o => o.RunDispatcher = false, notifications: true);
        await host.StartAsync();
        try
        {
            var writer = host.Services.GetRequiredService<IOutboxWriter>();
            await Pg.ExecAsync(ctx.Db, $"truncate {ctx.Schema}.{EnqueueScenario.PgTable}");
            await using var app = NpgsqlDataSource.Create(ctx.Settings.Postgres);
            var update = OrderTransactions.PgUpdateSql(ctx.Schema);
            var options = new DbContextOptionsBuilder<BenchOrdersDb>()
                .UseNpgsql(app)
                .UseOrderOutbox()
                .UseApplicationServiceProvider(host.Services) // the host's OutboxOptions, clock and counter
                .Options;
            var model = new BenchModel(ctx.Schema, EnqueueScenario.PgTable);

            Func<int, OrderCompleted, Task<long>>[] variants =
            [
                async (i, p) => Elapsed(await OrderTransactions.PostgresAsync(app, update, null, i, p)),
                async (i, p) => Elapsed(await OrderTransactions.PostgresAsync(app, update, writer, i, p)),
                (i, p) => EfAsync(options, model, enqueue: false, i, p),
                (i, p) => EfAsync(options, model, enqueue: true, i, p),
            ];

            var n = ctx.Settings.EnqueueTransactions;
            var load = Machine.Load1().ToString("N2", CultureInfo.InvariantCulture);
            double[][] p50 = [.. Variants.Select(_ => new double[ctx.Settings.Runs])];
            double[][] p99 = [.. Variants.Select(_ => new double[ctx.Settings.Runs])];
            for (var run = -1; run < ctx.Settings.Runs; run++)
            {
                var count = run < 0 ? Math.Max(100, n / 4) : n;
                double[][] ms = [.. Variants.Select(_ => new double[count])];
                for (var i = 0; i < count; i++)
                {
                    var order = (run * 100_000) + i + 400_000;
                    for (var k = 0; k < variants.Length; k++)
                    {
                        var v = (k + i) % variants.Length; // rotate the order so load swings hit every variant alike
                        ms[v][i] = Stats.TicksToMs(await variants[v](order, Payloads.Create(order)));
                    }
                }

                if (run < 0)
                {
                    continue;
                }

                for (var v = 0; v < Variants.Length; v++)
                {
                    Array.Sort(ms[v]);
                    p50[v][run] = Stats.Percentile(ms[v], 50);
                    p99[v][run] = Stats.Percentile(ms[v], 99);
                }

                Console.WriteLine($"    EF Core vs raw run {run + 1}: p50 " + string.Join(", ", Variants.Select((name, v) => $"{name} {p50[v][run]:N3}")) + $" ms (load {Machine.LoadAverage()})");
            }

            var note = $"PostgreSQL, wake-up on; {n} transactions per variant per run, the four variants rotated transaction by transaction; " +
                "EF Core = a new DbContext per order, the order attached and three columns modified, SaveChangesAsync (its own transaction); " +
                "'added' = p(with) − p(without) of the same path per run.";
            var parameters = new Dictionary<string, object?> { ["transactions"] = n, ["store"] = "PostgreSQL" };
            for (var v = 0; v < Variants.Length; v++)
            {
                ctx.Results.Add(new Measurement { Section = Section, Name = $"PostgreSQL: order transaction, {Variants[v]}, p50", Unit = "ms", Runs = p50[v], Parameters = parameters, Note = note }, load);
                ctx.Results.Add(new Measurement { Section = Section, Name = $"PostgreSQL: order transaction, {Variants[v]}, p99", Unit = "ms", Runs = p99[v], Parameters = parameters, Note = note }, load);
            }

            ctx.Results.Add(new Measurement { Section = Section, Name = "PostgreSQL: added by EnqueueAsync (raw), p50", Unit = "ms", Runs = [.. p50[1].Zip(p50[0], (a, b) => a - b)], Parameters = parameters, Note = note }, load);
            ctx.Results.Add(new Measurement { Section = Section, Name = "PostgreSQL: added by Outbox().Enqueue (EF Core), p50", Unit = "ms", Runs = [.. p50[3].Zip(p50[2], (a, b) => a - b)], Parameters = parameters, Note = note }, load);
        }
        finally
        {
            await host.StopAsync();
        }
    }

    private static long Elapsed((long Start, long BeforeCommit, long Committed, Guid Id) r) => r.Committed - r.Start;

    private static async Task<long> EfAsync(DbContextOptions<BenchOrdersDb> options, BenchModel model, bool enqueue, int order, OrderCompleted payload)
    {
        var start = Stopwatch.GetTimestamp();
        await using var db = new BenchOrdersDb(options, model);
        var row = new BenchOrder { Id = (order % Pg.OrderCount) + 1 };
        db.Orders.Attach(row);
        row.Status = "COMPLETED";
        row.Amount = payload.Amount;
        row.UpdatedAt = payload.CompletedAt;
        if (enqueue)
        {
            db.Outbox().Enqueue(Payloads.MessageType, payload, payload.OrderId.ToString());
        }

        await db.SaveChangesAsync();
        return Stopwatch.GetTimestamp() - start;
    }
}

/// <summary>The schema and outbox table of the benchmark's context (one model for the whole run).</summary>
internal sealed record BenchModel(string Schema, string OutboxTable);

/// <summary>The benchmark's orders row, as EF Core maps it.</summary>
internal sealed class BenchOrder
{
    public long Id { get; set; }

    public string Status { get; set; } = "";

    public decimal Amount { get; set; }

    public DateTimeOffset UpdatedAt { get; set; }
}

/// <summary>The application context of the EF Core enqueue benchmark: the orders table and the outbox table.</summary>
internal sealed class BenchOrdersDb(DbContextOptions<BenchOrdersDb> options, BenchModel model) : DbContext(options)
{
    public DbSet<BenchOrder> Orders => Set<BenchOrder>();

    protected override void OnModelCreating(ModelBuilder modelBuilder)
    {
        modelBuilder.Entity<BenchOrder>(o =>
        {
            o.ToTable("orders", model.Schema);
            o.Property(x => x.Id).HasColumnName("id").ValueGeneratedNever();
            o.Property(x => x.Status).HasColumnName("status");
            o.Property(x => x.Amount).HasColumnName("amount");
            o.Property(x => x.UpdatedAt).HasColumnName("updated_at");
        });
        modelBuilder.AddOrderOutbox(o =>
        {
            o.Schema = model.Schema;
            o.TableName = model.OutboxTable;
        });
    }
}
