using System.Globalization;
using System.Security.Cryptography;
using Microsoft.Extensions.Hosting;
using OrderOutbox.Benchmarks.Infrastructure;

namespace OrderOutbox.Benchmarks.Scenarios;

/// <summary>
/// 2g. Issue 14's costs on the drain (PostgreSQL, batch 100 / concurrency 16, the grid's settings): unsigned with no
/// rate limit (the default), Standard Webhooks signing on (one secret), and the rate limiter on at a rate the drain
/// never reaches (100,000/s, burst 100,000). Variants rotate run by run, each on a freshly loaded backlog; ratios run
/// by run against the default, and the dispatcher's CPU per message.
/// </summary>
internal static class SigningScenario
{
    public const string Section = "2g. Signing and rate-limiter cost on the drain";
    public const int Batch = 100;
    public const int Concurrency = 16;

    public const string Plain = "unsigned, no rate limit (default)";
    public const string Signed = "Standard Webhooks signing on (one secret)";
    public const string Limited = "rate limiter on at 100,000/s (never reached)";

    public static string RatioName(string variant) => $"drain {variant} / {Plain}";

    public static string CpuAddedName(string variant) => $"dispatcher CPU per message added: {variant}";

    /// <summary>Rate with no limit configured over the rate with a limit never reached: ≥ 1 means off costs nothing extra.</summary>
    public const string OffOverOnName = "drain with no rate limit / with a limit never reached";

    public static async Task RunAsync(BenchContext ctx)
    {
        var s = ctx.Settings;
        var n = s.Backlog;
        await Backlog.EnsureTemplateAsync(ctx, n);
        var secret = "whsec_" + Convert.ToBase64String(RandomNumberGenerator.GetBytes(32));
        var variants = new (string Label, Action<OrderOutbox.Dispatching.HttpDispatcherOptions> Http)[]
        {
            (Plain, _ => { }),
            (Signed, h => h.SigningSecrets = [secret]),
            (Limited, h =>
            {
                h.MaxRequestsPerSecond = 100_000;
                h.RateLimitBurst = 100_000;
            }),
        };
        var hosts = variants.Select(v => OutboxHost.PostgreSql(s.Postgres, ctx.Schema, Backlog.DrainTable, ctx.Receiver.Endpoint, o =>
        {
            o.RunDispatcher = false;
            o.BatchSize = Batch;
            o.MaxConcurrency = Concurrency;
        }, notifications: false, http: v.Http)).ToArray();
        foreach (var h in hosts)
        {
            await h.StartAsync();
        }

        var load = Machine.Load1().ToString("N2", CultureInfo.InvariantCulture);
        var rates = variants.Select(_ => new double[s.Runs]).ToArray();
        var cpu = variants.Select(_ => new CpuRuns()).ToArray();
        try
        {
            for (var run = -1; run < s.Runs; run++)
            {
                var count = run < 0 ? s.Warmup(n) : n;
                for (var k = 0; k < variants.Length; k++)
                {
                    var v = (k + Math.Max(run, 0)) % variants.Length;
                    await Backlog.LoadAsync(ctx, Backlog.DrainTable, count);
                    var rate = await Backlog.DrainAsync(ctx, hosts[v], Backlog.DrainTable, count);
                    if (run >= 0)
                    {
                        rates[v][run] = rate;
                        cpu[v].Add(Backlog.LastCpu);
                    }
                }

                if (run >= 0)
                {
                    Console.WriteLine($"    signing run {run + 1}: {string.Join(" | ", variants.Select((x, i) => $"{x.Label} {rates[i][run]:N0}"))} msg/s (load {Machine.LoadAverage()})");
                }
            }
        }
        finally
        {
            foreach (var h in hosts)
            {
                await h.StopAsync();
                h.Dispose();
            }
        }

        var p = new Dictionary<string, object?> { ["batch"] = Batch, ["concurrency"] = Concurrency, ["messages"] = n };
        var note = $"signing/limiter: PostgreSQL drain as in the grid (ProcessOnceAsync, notifications off, time box {s.RunTimeLimit.TotalSeconds:N0} s), the three variants rotated run by run, each on a freshly loaded {n:N0} backlog; signing = HMAC-SHA256 over id.timestamp.body with a 32-byte whsec_ secret (headers webhook-id/-timestamp/-signature); limiter = HttpDispatcherOptions.MaxRequestsPerSecond 100,000 with burst 100,000. CPU µs/msg (dispatcher / PostgreSQL / receiver): "
            + string.Join("; ", variants.Select((v, i) => $"{v.Label}: {cpu[i].Summary()}")) + ".";
        for (var i = 0; i < variants.Length; i++)
        {
            ctx.Results.Add(new Measurement { Section = Section, Name = $"drain, {variants[i].Label}", Unit = "msg/s", Runs = rates[i], Parameters = new(p) { ["cpu"] = cpu[i].ToJson() }, Note = note }, load);
            ctx.Results.Add(new Measurement { Section = Section, Name = $"dispatcher CPU per message, {variants[i].Label}", Unit = "µs/msg", Runs = [.. cpu[i].Self], Parameters = p, Note = note }, load);
        }

        ctx.Results.Add(new Measurement { Section = Section, Name = RatioName(Signed), Unit = "ratio", Runs = [.. rates[1].Zip(rates[0], (a, b) => a / b)], Parameters = p, Note = note }, load);
        ctx.Results.Add(new Measurement { Section = Section, Name = RatioName(Limited), Unit = "ratio", Runs = [.. rates[2].Zip(rates[0], (a, b) => a / b)], Parameters = p, Note = note }, load);
        ctx.Results.Add(new Measurement { Section = Section, Name = OffOverOnName, Unit = "ratio", Runs = [.. rates[0].Zip(rates[2], (a, b) => a / b)], Parameters = p, Note = note }, load);
        ctx.Results.Add(new Measurement { Section = Section, Name = CpuAddedName(Signed), Unit = "µs/msg", Runs = [.. cpu[1].Self.Zip(cpu[0].Self, (a, b) => a - b)], Parameters = p, Note = note }, load);
        ctx.Results.Add(new Measurement { Section = Section, Name = CpuAddedName(Limited), Unit = "µs/msg", Runs = [.. cpu[2].Self.Zip(cpu[0].Self, (a, b) => a - b)], Parameters = p, Note = note }, load);
    }
}
