using System.Globalization;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Npgsql;
using OrderOutbox.Benchmarks.Infrastructure;

namespace OrderOutbox.Benchmarks.Scenarios;

/// <summary>
/// 1c. Writers while the dispatcher delivers (issue 12's table): 16 writers loop "update the order + enqueue + commit"
/// for a fixed time while the hosted dispatcher of the same process delivers to the receiver, against the same writers
/// without an outbox; with the wake-up on (the library's default options) and off (polling every 1 s). Then the same
/// with the dispatcher off, wake-up on vs off: what the wake-up alone costs the writers. Five variants, rotated run by
/// run; each variant gets a fresh host (started for its window only) and an emptied table.
/// </summary>
internal static class WritersDispatchingScenario
{
    public const string Section = "1c. Writers while the dispatcher delivers";
    public const string Table = "writers_dispatch_outbox";

    public static string RatioName(bool dispatching, bool wakeUp) =>
        $"PostgreSQL: 16 writers, dispatcher {(dispatching ? "delivering" : "off")}, wake-up {(wakeUp ? "on (default options)" : "off (polling 1 s)")} / without outbox";

    public static string WakeUpRatioName(bool dispatching) =>
        $"PostgreSQL: 16 writers, dispatcher {(dispatching ? "delivering" : "off")}: wake-up on / wake-up off";

    private sealed record Variant(string Label, bool Outbox, bool Dispatching, bool WakeUp);

    private static readonly Variant[] Variants =
    [
        new("without outbox", Outbox: false, Dispatching: false, WakeUp: false),
        new("dispatcher delivering, wake-up on (default options)", Outbox: true, Dispatching: true, WakeUp: true),
        new("dispatcher delivering, wake-up off (polling 1 s)", Outbox: true, Dispatching: true, WakeUp: false),
        new("dispatcher off, wake-up on (default options)", Outbox: true, Dispatching: false, WakeUp: true),
        new("dispatcher off, wake-up off", Outbox: true, Dispatching: false, WakeUp: false),
    ];

    public static async Task RunAsync(BenchContext ctx)
    {
        var s = ctx.Settings;
        await using var app = NpgsqlDataSource.Create(s.Postgres);
        var update = OrderTransactions.PgUpdateSql(ctx.Schema);
        var writers = s.Writers;
        var load = Machine.Load1().ToString("N2", CultureInfo.InvariantCulture);
        var rates = Variants.Select(_ => new double[s.Runs]).ToArray();
        var delivered = Variants.Select(_ => new double[s.Runs]).ToArray();
        var cpu = Variants.Select(_ => new CpuRuns()).ToArray();
        for (var run = -1; run < s.Runs; run++)
        {
            var duration = run < 0 ? TimeSpan.FromSeconds(1) : s.WritersDuration;
            for (var k = 0; k < Variants.Length; k++)
            {
                var i = (k + Math.Max(run, 0)) % Variants.Length;
                var v = Variants[i];
                await Pg.ExecAsync(ctx.Db, $"drop table if exists {ctx.Schema}.{Table}; vacuum analyze {ctx.Schema}.orders");
                using var host = Host(ctx, v);
                await host.StartAsync();
                try
                {
                    await ctx.Receiver.ResetAsync();
                    var writer = v.Outbox ? host.Services.GetRequiredService<IOutboxWriter>() : null;
                    var cpu0 = await CpuSnapshot.TakeAsync(ctx.Db, ctx.Receiver.ProcessId);
                    var (rate, done) = await WritersScenario.RateAsync(app, update, writer, writers, duration);
                    if (run >= 0)
                    {
                        rates[i][run] = rate;
                        cpu[i].Add((await CpuSnapshot.TakeAsync(ctx.Db, ctx.Receiver.ProcessId)).PerMessageSince(cpu0, done));
                        delivered[i][run] = done == 0 ? double.NaN : await ctx.Receiver.CountAsync() / (double)done;
                    }
                }
                finally
                {
                    await host.StopAsync();
                }
            }

            if (run >= 0)
            {
                Console.WriteLine($"    writers-dispatching run {run + 1}: {string.Join(" | ", Variants.Select((v, i) => $"{v.Label} {rates[i][run]:N0}"))} orders/s (load {Machine.LoadAverage()})");
            }
        }

        var p = new Dictionary<string, object?>
        {
            ["writers"] = writers,
            ["seconds"] = s.WritersDuration.TotalSeconds,
            ["notificationCooldownMs"] = new OrderOutbox.PostgreSql.PostgreSqlOutboxOptions().NotificationCooldown.TotalMilliseconds,
            ["wakeUpOn"] = "library defaults (UseNotifications = true)",
            ["wakeUpOff"] = "UseNotifications = false, PollingInterval = 1 s",
        };
        var note = $"writers-dispatching: {writers} writers each looping pooled open → BEGIN → UPDATE order → [EnqueueAsync] → COMMIT for {s.WritersDuration.TotalSeconds:N0} s per variant per run, variants rotated; 'dispatcher delivering' = the hosted dispatcher of the same process (default batch and concurrency) delivering to the receiver while the writers run; the 'delivered' figure is the receiver's count over the orders written in the window (under 1 = a backlog grew). Each variant starts on a dropped table with a fresh host.";
        for (var i = 0; i < Variants.Length; i++)
        {
            ctx.Results.Add(new Measurement { Section = Section, Name = $"PostgreSQL: {writers} writers, {Variants[i].Label}", Unit = "orders/s", Runs = rates[i], Parameters = new(p) { ["cpu"] = cpu[i].ToJson(), ["deliveredOverWritten"] = delivered[i] }, Note = note }, load);
        }

        ctx.Results.Add(new Measurement { Section = Section, Name = RatioName(dispatching: true, wakeUp: true), Unit = "ratio", Runs = Ratio(rates[1], rates[0]), Parameters = p, Note = note }, load);
        ctx.Results.Add(new Measurement { Section = Section, Name = RatioName(dispatching: true, wakeUp: false), Unit = "ratio", Runs = Ratio(rates[2], rates[0]), Parameters = p, Note = note }, load);
        ctx.Results.Add(new Measurement { Section = Section, Name = RatioName(dispatching: false, wakeUp: true), Unit = "ratio", Runs = Ratio(rates[3], rates[0]), Parameters = p, Note = note }, load);
        ctx.Results.Add(new Measurement { Section = Section, Name = RatioName(dispatching: false, wakeUp: false), Unit = "ratio", Runs = Ratio(rates[4], rates[0]), Parameters = p, Note = note }, load);
        ctx.Results.Add(new Measurement { Section = Section, Name = WakeUpRatioName(dispatching: true), Unit = "ratio", Runs = Ratio(rates[1], rates[2]), Parameters = p, Note = note }, load);
        ctx.Results.Add(new Measurement { Section = Section, Name = WakeUpRatioName(dispatching: false), Unit = "ratio", Runs = Ratio(rates[3], rates[4]), Parameters = p, Note = note }, load);
        ctx.Results.Add(new Measurement { Section = Section, Name = "dispatcher delivering, wake-up on: delivered / written in the window", Unit = "ratio", Runs = delivered[1], Parameters = p, Note = note }, load);
        ctx.Results.Table(Section, "Writers while delivering, CPU µs per order (this process / PostgreSQL backends / receiver): "
            + string.Join("; ", Variants.Select((v, i) => $"{v.Label}: {cpu[i].Summary()}")) + ".\n");
    }

    private static double[] Ratio(double[] a, double[] b) => [.. a.Zip(b, (x, y) => x / y)];

    private static IHost Host(BenchContext ctx, Variant v) =>
        OutboxHost.PostgreSql(ctx.Settings.Postgres, ctx.Schema, Table, ctx.Receiver.Endpoint, o =>
        {
            o.RunDispatcher = v.Dispatching;
            if (!v.WakeUp)
            {
                o.PollingInterval = TimeSpan.FromSeconds(1);
            }
        }, notifications: v.WakeUp, defaults: true, store: p => p.UseNotifications = v.WakeUp);
}
