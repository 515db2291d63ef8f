using OrderOutbox.Benchmarks.Infrastructure;

namespace OrderOutbox.Benchmarks.Scenarios;

/// <summary>The raw limits alone (no outbox): HTTP POSTs per concurrency, claim-and-update per batch size.</summary>
internal static class Baselines
{
    public const string Section = "2. Drain throughput";
    public const string RawTable = "raw_outbox";

    /// <summary>CPU per message of the raw HTTP runs, by concurrency (client process / PostgreSQL (none) / receiver).</summary>
    public static Dictionary<int, CpuRuns> RawHttpCpu { get; } = [];

    /// <summary>CPU per row of the raw DB runs, by (batch, workers) (client process / PostgreSQL backends / receiver (none)).</summary>
    public static Dictionary<(int, int), CpuRuns> RawDbCpu { get; } = [];

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
        var cpu = new CpuRuns();
        var runs = await ctx.MeasureAsync($"raw HTTP c={concurrency}", async run =>
        {
            var cpu0 = await CpuSnapshot.TakeAsync(ctx.Db, ctx.Receiver.ProcessId);
            var rate = await RawHttp.RunAsync(ctx.Receiver.Endpoint, ctx.Bodies, run < 0 ? ctx.Settings.Warmup(n) : n, concurrency, ctx.Settings.RunTimeLimit);
            if (run >= 0)
            {
                allocated.Add(RawHttp.LastAllocatedPerMessage);
                cpu.Add((await CpuSnapshot.TakeAsync(ctx.Db, ctx.Receiver.ProcessId)).PerMessageSince(cpu0, RawHttp.LastDone));
            }

            return rate;
        });
        RawHttpCpu[concurrency] = cpu;
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
        long remaining = 0, last = 0;
        var cpu = new CpuRuns();
        var runs = await ctx.MeasureAsync($"raw DB b={batchSize} w={workers}", async run =>
        {
            if (run < 0)
            {
                var warm = ctx.Settings.Warmup(n);
                await Pg.SeedRawOutboxAsync(ctx.Db, ctx.Schema, RawTable, warm, ctx.Payloads);
                await RawDb.RunAsync(ctx.Db, ctx.Schema, RawTable, warm, batchSize, workers, ctx.Settings.RunTimeLimit);
                return double.NaN;
            }

            // Reload only when what is left could run short (as the outbox drains do).
            if (remaining < Math.Max(last * 2, n / 10))
            {
                await Pg.SeedRawOutboxAsync(ctx.Db, ctx.Schema, RawTable, n, ctx.Payloads);
                remaining = n;
            }

            var cpu0 = await CpuSnapshot.TakeAsync(ctx.Db, null);
            var rate = await RawDb.RunAsync(ctx.Db, ctx.Schema, RawTable, (int)remaining, batchSize, workers, ctx.Settings.RunTimeLimit);
            cpu.Add((await CpuSnapshot.TakeAsync(ctx.Db, null)).PerMessageSince(cpu0, RawDb.LastDone));
            last = RawDb.LastDone;
            remaining -= last;
            return rate;
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
        RawDbCpu[(batchSize, workers)] = cpu;
        return runs;
    }
}
