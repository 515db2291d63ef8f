using System.Diagnostics;
using System.Globalization;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using OrderOutbox.Benchmarks.Infrastructure;

namespace OrderOutbox.Benchmarks.Scenarios;

/// <summary>
/// 2f. Recovery after an outage (issue 12): 10,000 records are attempted against an endpoint that refuses connections
/// (the receiver is "down"), so the engine itself leaves them <c>FAILED</c> with a retry scheduled; the outage's
/// backoff is then taken as elapsed (<c>next_attempt_at</c> moved to now, nothing else touched), and a host with the
/// library's default options and the receiver "back" starts: the figure is the seconds from its start to the last of
/// the 10,000 being <c>SENT</c>.
/// </summary>
internal static class RecoveryScenario
{
    public const string Section = "2f. Recovery after an outage";
    public const string Table = "recovery_outbox";
    public const int Records = 10_000;

    public const string Name = "PostgreSQL: 10,000 FAILED records after an outage, seconds until all SENT (default options)";

    /// <summary>A loopback port nothing listens on (the discard port): connections are refused at once.</summary>
    private static readonly Uri Down = new("http://127.0.0.1:9/orders");

    public static async Task RunAsync(BenchContext ctx)
    {
        var s = ctx.Settings;
        await Backlog.EnsureTemplateAsync(ctx, Math.Max(s.Backlog, Records));
        await Pg.ExecAsync(ctx.Db, $"drop table if exists {ctx.Schema}.{Table}");
        using var outage = OutboxHost.PostgreSql(s.Postgres, ctx.Schema, Table, Down, o =>
        {
            o.RunDispatcher = false;
            o.BatchSize = 100;
            o.MaxConcurrency = 16;
        }, notifications: false);
        await outage.StartAsync();
        var load = Machine.Load1().ToString("N2", CultureInfo.InvariantCulture);
        var seconds = new List<double>();
        try
        {
            // No warm-up: every run starts a fresh host, and its start-up is part of the figure. One run in --quick.
            var runs = s.Quick ? 1 : s.Runs;
            for (var run = 0; run < runs; run++)
            {
                await Backlog.LoadAsync(ctx, Table, Records);
                var processor = outage.Services.GetRequiredService<IOutboxProcessor>();
                while (await processor.ProcessOnceAsync() > 0)
                {
                }

                var failed = (long)(await Pg.ScalarAsync(ctx.Db, $"select count(*) from {ctx.Schema}.{Table} where status = 'FAILED'"))!;
                if (failed != Records)
                {
                    throw new InvalidOperationException($"recovery: the outage left {failed} of {Records} records FAILED");
                }

                await Pg.ExecAsync(ctx.Db, $"update {ctx.Schema}.{Table} set next_attempt_at = now() where status = 'FAILED'; vacuum analyze {ctx.Schema}.{Table}");
                await ctx.Receiver.ResetAsync();
                using var back = OutboxHost.PostgreSql(s.Postgres, ctx.Schema, Table, ctx.Receiver.Endpoint, _ => { }, notifications: true, defaults: true);
                var sw = Stopwatch.StartNew();
                await back.StartAsync();
                long sent;
                while ((sent = (long)(await Pg.ScalarAsync(ctx.Db, $"select count(*) from {ctx.Schema}.{Table} where status = 'SENT'"))!) < Records && sw.Elapsed < TimeSpan.FromMinutes(5))
                {
                    await Task.Delay(50);
                }

                var elapsed = sw.Elapsed.TotalSeconds;
                await back.StopAsync();
                if (sent < Records)
                {
                    throw new InvalidOperationException($"recovery: {sent} of {Records} SENT after 5 minutes");
                }

                if (run >= 0)
                {
                    seconds.Add(elapsed);
                    Console.WriteLine($"    recovery run {run + 1}: {Records:N0} FAILED → SENT in {elapsed:N2} s, receiver got {await ctx.Receiver.CountAsync():N0} (load {Machine.LoadAverage()})");
                }
            }
        }
        finally
        {
            await outage.StopAsync();
        }

        var p = new Dictionary<string, object?> { ["records"] = Records, ["outage"] = "connection refused (127.0.0.1:9), one attempt each", ["recovery"] = "library defaults" };
        const string note = "recovery: each run loads 10,000 PENDING records, attempts them all once against a refused port (batch 100, concurrency 16) so the engine leaves them FAILED with a retry scheduled, moves next_attempt_at to now (the backoff taken as elapsed; retry counts and errors kept), then starts a host with the library's default options (hosted dispatcher, wake-up on) pointed at the receiver; the figure runs from that host's StartAsync to the last record SENT (polled every 50 ms), start-up included.";
        ctx.Results.Add(new Measurement { Section = Section, Name = Name, Unit = "s", Runs = [.. seconds], Parameters = p, Note = note }, load);
        ctx.Results.Add(new Measurement { Section = Section, Name = "PostgreSQL: recovery drain rate (10,000 / seconds)", Unit = "msg/s", Runs = [.. seconds.Select(x => Records / x)], Parameters = p, Note = note }, load);
    }
}
