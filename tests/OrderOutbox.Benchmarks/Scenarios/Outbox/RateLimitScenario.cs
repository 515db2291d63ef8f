using System.Diagnostics;
using System.Globalization;
using Microsoft.Extensions.DependencyInjection;
using OrderOutbox.Benchmarks.Infrastructure;

namespace OrderOutbox.Benchmarks.Scenarios;

/// <summary>
/// 2d. What the per-endpoint rate limiter costs: the HTTP dispatcher alone (no database) POSTing to the receiver at
/// concurrency 16, with the limiter off (the default) and on at a rate the run never reaches (100,000/s, burst 100,000),
/// so every request passes the token bucket's lock without waiting. Variants alternate run by run.
/// </summary>
internal static class RateLimitScenario
{
    public const string Section = "2d. Rate limiter cost (HTTP dispatcher only, concurrency 16)";
    private const int Concurrency = 16;

    /// <summary>Limiter on at a rate never reached / limiter off, run by run.</summary>
    public const string RatioName = "limiter on, never reached / limiter off";

    public static async Task RunAsync(BenchContext ctx)
    {
        var s = ctx.Settings;
        var n = s.Backlog;
        var load = Machine.Load1().ToString("N2", CultureInfo.InvariantCulture);
        await using var off = Dispatcher(ctx, rate: 0);
        await using var on = Dispatcher(ctx, rate: 100_000);
        var variants = new (string Label, ServiceProvider Provider)[]
        {
            ("limiter off (default)", off),
            ("limiter on, 100,000/s (never reached)", on),
        };
        var rates = variants.Select(_ => new List<double>()).ToArray();
        for (var run = -1; run < s.Runs; run++)
        {
            for (var k = 0; k < variants.Length; k++)
            {
                var v = (k + Math.Max(run, 0)) % variants.Length;
                var rate = await DispatchAllAsync(ctx, variants[v].Provider.GetRequiredService<IDispatcher>(), run < 0 ? s.Warmup(n) : n);
                if (run >= 0)
                {
                    rates[v].Add(rate);
                }
            }

            if (run >= 0)
            {
                Console.WriteLine($"    ratelimit run {run + 1}: {string.Join(" | ", variants.Select((x, i) => $"{x.Label}: {rates[i][^1]:N0}"))} (load {Machine.LoadAverage()})");
            }
        }

        var p = new Dictionary<string, object?> { ["messages"] = n, ["concurrency"] = Concurrency };
        const string note = "the dispatcher resolved from DI as UseHttpDispatcher registers it, called directly by 16 workers (no store); the receiver answers 200; off and on alternate run by run.";
        for (var i = 0; i < variants.Length; i++)
        {
            ctx.Results.Add(new Measurement { Section = Section, Name = variants[i].Label, Unit = "msg/s", Runs = [.. rates[i]], Parameters = p, Note = note }, load);
        }

        ctx.Results.Add(new Measurement { Section = Section, Name = RatioName, Unit = "ratio", Runs = [.. rates[1].Zip(rates[0], (x, y) => x / y)], Parameters = p, Note = note }, load);
    }

    private static ServiceProvider Dispatcher(BenchContext ctx, double rate)
    {
        var services = new ServiceCollection();
        services.AddLogging();
        services.AddOrderOutbox().UseHttpDispatcher(h =>
        {
            h.Endpoint = ctx.Receiver.Endpoint;
            h.MaxRequestsPerSecond = rate;
            h.RateLimitBurst = rate > 0 ? 100_000 : 0;
        });
        return services.BuildServiceProvider();
    }

    private static async Task<double> DispatchAllAsync(BenchContext ctx, IDispatcher dispatcher, int count)
    {
        var next = -1;
        var failures = 0;
        var created = DateTimeOffset.UtcNow;
        var sw = Stopwatch.StartNew();
        var workers = Enumerable.Range(0, Concurrency).Select(async _ =>
        {
            int i;
            while ((i = Interlocked.Increment(ref next)) < count)
            {
                var message = new OutboxMessage
                {
                    Id = Guid.CreateVersion7(),
                    MessageType = "order.completed",
                    AggregateId = "o-" + i.ToString(CultureInfo.InvariantCulture),
                    Payload = ctx.Payloads[i % ctx.Payloads.Length],
                    CreatedAt = created,
                    LeaseOwner = "bench",
                };
                var result = await dispatcher.DispatchAsync(message, CancellationToken.None);
                if (result.Kind != DispatchResultKind.Success)
                {
                    Interlocked.Increment(ref failures);
                }
            }
        });
        await Task.WhenAll(workers);
        sw.Stop();
        if (failures > 0)
        {
            throw new InvalidOperationException($"{failures} of {count} dispatches failed; the figure would not mean anything.");
        }

        return count / sw.Elapsed.TotalSeconds;
    }
}
