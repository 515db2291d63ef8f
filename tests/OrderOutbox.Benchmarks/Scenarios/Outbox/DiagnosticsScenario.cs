using System.Globalization;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Npgsql;
using OrderOutbox.Dispatching;
using OrderOutbox.Benchmarks.Infrastructure;

namespace OrderOutbox.Benchmarks.Scenarios;

/// <summary>
/// 2c. What limits the drain: the same backlog at concurrency 16 with one knob changed at a time, measured next to the
/// plain configuration in the same scenario (alternating runs):
/// <list type="bullet">
/// <item>the store's own connections with <c>synchronous_commit = off</c> (claims and outcome writes stop waiting for
/// the WAL flush; the caller's enqueue transaction is untouched) — tests whether commit latency bounds the drain;</item>
/// <item>two dispatcher instances of concurrency 8 each instead of one of 16 — tests whether the single claim
/// pipeline of one instance bounds the drain;</item>
/// <item>the named HTTP client without IHttpClientFactory's logging handlers — the cost of that default pipeline.</item>
/// </list>
/// </summary>
internal static class DiagnosticsScenario
{
    public const string Section = "2c. What limits the drain (diagnostics, concurrency 16)";

    public static async Task RunAsync(BenchContext ctx)
    {
        var s = ctx.Settings;
        await Backlog.EnsureTemplateAsync(ctx, s.Backlog);

        var asyncCommit = new NpgsqlConnectionStringBuilder(s.Postgres) { Options = "-c synchronous_commit=off" }.ConnectionString;
        // --diagnostics-batches chooses the batch sizes (default 10 and 100); two measured runs per variant.
        foreach (var b in s.DiagnosticsBatches)
        {
            var n = s.Backlog;
            var load = Machine.Load1().ToString("N2", CultureInfo.InvariantCulture);
            using var plain = Host(s.Postgres, ctx, b, 16);
            using var async = Host(asyncCommit, ctx, b, 16);
            using var twinA = Host(s.Postgres, ctx, b, 8);
            using var twinB = Host(s.Postgres, ctx, b, 8);
            using var quietHttp = Host(s.Postgres, ctx, b, 16, sc => sc.AddHttpClient(HttpDispatcherOptions.HttpClientName).RemoveAllLoggers());
            var all = new[] { plain, async, twinA, twinB, quietHttp };
            foreach (var h in all)
            {
                await h.StartAsync();
            }

            try
            {
                var variants = new (string Label, IHost[] Hosts)[]
                {
                    ("one instance, concurrency 16 (as in the grid)", [plain]),
                    ("one instance, concurrency 16, store connections synchronous_commit=off", [async]),
                    ("two instances, concurrency 8 each", [twinA, twinB]),
                    ("one instance, concurrency 16, HTTP client without IHttpClientFactory's logging handlers (RemoveAllLoggers)", [quietHttp]),
                };
                var rates = variants.Select(_ => new List<double>()).ToArray();
                var runner = new Backlog.Runner(ctx, Backlog.DrainTable, n);
                for (var run = -1; run < Math.Min(2, s.Runs); run++)
                {
                    for (var k = 0; k < variants.Length; k++)
                    {
                        var v = (k + Math.Max(run, 0)) % variants.Length;
                        var hosts = variants[v].Hosts;
                        var rate = await runner.RunAsync(run, count => Backlog.DrainAsync(ctx, hosts, Backlog.DrainTable, count));
                        if (run >= 0)
                        {
                            rates[v].Add(rate);
                        }
                    }

                    if (run >= 0)
                    {
                        Console.WriteLine($"    diagnostics b={b} run {run + 1}: {string.Join(" | ", variants.Select((x, i) => $"{x.Label}: {rates[i][^1]:N0}"))} (load {Machine.LoadAverage()})");
                    }
                }

                var p = new Dictionary<string, object?> { ["batch"] = b, ["messages"] = n };
                const string note = "diagnostics: same backlog and receiver, variants alternated run by run; synchronous_commit=off is set through the store's connection string (Options=-c synchronous_commit=off), which affects only the dispatcher's claims/outcome writes: a lost claim after a crash is claimed again, a lost outcome means one more delivery (still at-least-once).";
                for (var i = 0; i < variants.Length; i++)
                {
                    ctx.Results.Add(new Measurement { Section = Section, Name = $"batch {b}: {variants[i].Label}", Unit = "msg/s", Runs = [.. rates[i]], Parameters = p, Note = note }, load);
                }
            }
            finally
            {
                foreach (var h in all)
                {
                    await h.StopAsync();
                }
            }
        }
    }

    private static IHost Host(string connectionString, BenchContext ctx, int batch, int concurrency, Action<IServiceCollection>? services = null) =>
        OutboxHost.PostgreSql(connectionString, ctx.Schema, Backlog.DrainTable, ctx.Receiver.Endpoint, o =>
        {
            o.RunDispatcher = false;
            o.BatchSize = batch;
            o.MaxConcurrency = concurrency;
        }, notifications: false, services: services);
}
