using OrderOutbox.Benchmarks.Infrastructure;

namespace OrderOutbox.Benchmarks.Scenarios;

/// <summary>The raw limits alone (no outbox): HTTP POSTs per concurrency, claim-and-update per batch size.</summary>
internal static class Baselines
{
    public const string Section = "2. Drain throughput";
    public const string RawTable = "raw_outbox";

    /// <summary>The raw limits alone, for a build without the outbox.</summary>
    public static async Task RunAsync(BenchContext ctx)
    {
        foreach (var b in ctx.Settings.BatchSizes)
        {
            await RawDbAsync(ctx, b, 1);
            await RawDbAsync(ctx, b, 4);
        }

        foreach (var c in ctx.Settings.Concurrencies)
        {
            await RawHttpAsync(ctx, c);
        }
    }

    public static async Task<double[]> RawHttpAsync(BenchContext ctx, int concurrency)
    {
        var n = ctx.Settings.BacklogFor(concurrency);
        var load = Machine.Load1().ToString("N2", System.Globalization.CultureInfo.InvariantCulture);
        var allocated = new List<double>();
        var runs = await ctx.MeasureAsync($"raw HTTP c={concurrency}", async run =>
        {
            var rate = await RawHttp.RunAsync(ctx.Receiver.Endpoint, ctx.Bodies, run < 0 ? ctx.Settings.Warmup(n) : n, concurrency, ctx.Settings.RunTimeLimit);
            if (run >= 0)
            {
                allocated.Add(RawHttp.LastAllocatedPerMessage);
            }

            return rate;
        });
        ctx.Results.Add(new Measurement
        {
            Section = Section,
            Name = $"raw HTTP POST, concurrency {concurrency}",
            Unit = "msg/s",
            Runs = runs,
            Parameters = new() { ["concurrency"] = concurrency, ["messages"] = n, ["kind"] = "raw-http" },
            Note = $"raw HTTP: plain HttpClient (SocketsHttpHandler) POSTs of the same ~315-byte bodies, Content-Type only, no database, receiver in its own process; each run stops after {ctx.Settings.RunTimeLimit.TotalSeconds:N0} s or {n:N0} messages.",
        }, load);
        ctx.Results.Add(new Measurement
        {
            Section = "5. Memory while draining (dispatcher process)",
            Name = $"raw HTTP POST (reference), concurrency {concurrency}: allocated per message, client side",
            Unit = "bytes/msg",
            Runs = [.. allocated],
            Parameters = new() { ["concurrency"] = concurrency },
            Note = "reference: what a bare HttpClient POST of the same body allocates in the sending process (GC.GetTotalAllocatedBytes over the raw HTTP run / messages).",
        }, load);
        return runs;
    }

    public static async Task<double[]> RawDbAsync(BenchContext ctx, int batchSize, int workers)
    {
        var n = ctx.Settings.Backlog;
        await Pg.EnsureRawOutboxAsync(ctx.Db, ctx.Schema, RawTable);
        var load = Machine.Load1().ToString("N2", System.Globalization.CultureInfo.InvariantCulture);
        var runs = await ctx.MeasureAsync($"raw DB b={batchSize} w={workers}", async run =>
        {
            var count = run < 0 ? ctx.Settings.Warmup(n) : n;
            await Pg.SeedRawOutboxAsync(ctx.Db, ctx.Schema, RawTable, count, ctx.Payloads);
            return await RawDb.RunAsync(ctx.Db, ctx.Schema, RawTable, count, batchSize, workers, ctx.Settings.RunTimeLimit);
        });
        ctx.Results.Add(new Measurement
        {
            Section = Section,
            Name = $"raw DB claim-and-update, batch {batchSize}, {workers} worker(s)",
            Unit = "rows/s",
            Runs = runs,
            Parameters = new() { ["batch"] = batchSize, ["workers"] = workers, ["messages"] = n, ["kind"] = "raw-db" },
            Note = $"raw DB: per batch one claim (CTE with FOR UPDATE SKIP LOCKED + UPDATE … RETURNING payloads) and one UPDATE … WHERE id = ANY(@ids), on a table of the DESIGN shape with the partial due index; no HTTP; each run: a fresh backlog, stopped after {ctx.Settings.RunTimeLimit.TotalSeconds:N0} s or when drained.",
        }, load);
        return runs;
    }
}
