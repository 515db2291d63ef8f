using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using OrderOutbox.Benchmarks.Infrastructure;

namespace OrderOutbox.Benchmarks.Scenarios;

/// <summary>
/// 5. Memory while draining: a fresh dispatcher process (this executable, <c>memory-child</c>) drains backlogs of
/// increasing size (batch 100, concurrency 16); it reports its peak working set, the largest GC heap seen, and the
/// bytes allocated per delivered message (<see cref="GC.GetTotalAllocatedBytes(bool)"/> across the drain).
/// Flat = the same peak and the same bytes per message whatever the backlog.
/// </summary>
internal static class MemoryScenario
{
    public const string Section = "5. Memory while draining (dispatcher process)";
    public const string Table = "memory_outbox";
    public const int Batch = 100;
    public const int Concurrency = 16;

    public static string Name(int backlog, string what) => $"backlog {backlog:N0}: {what}";

    public static async Task RunAsync(BenchContext ctx)
    {
        var s = ctx.Settings;
        using (var h = OutboxHost.PostgreSql(s.Postgres, ctx.Schema, Backlog.DrainTable, ctx.Receiver.Endpoint, o => o.RunDispatcher = false, notifications: false))
        {
            await h.StartAsync();
            await Backlog.EnsureTemplateAsync(ctx, h, s.MemoryBacklogs.Max());
            await h.StopAsync();
        }

        using (var h = OutboxHost.PostgreSql(s.Postgres, ctx.Schema, Table, ctx.Receiver.Endpoint, o => o.RunDispatcher = false, notifications: false))
        {
            await h.StartAsync();
            await h.StopAsync();
        }

        foreach (var n in s.MemoryBacklogs)
        {
            var load = Machine.Load1().ToString("N2", CultureInfo.InvariantCulture);
            var peak = new List<double>();
            var heap = new List<double>();
            var perMsg = new List<double>();
            for (var run = -1; run < Math.Min(2, s.Runs); run++)
            {
                await Backlog.LoadAsync(ctx, Table, run < 0 ? Math.Min(n, 5_000) : n);
                var r = await RunChildProcessAsync(ctx, run < 0 ? Math.Min(n, 5_000) : n);
                if (run < 0)
                {
                    continue;
                }

                peak.Add(r.PeakWorkingSet / 1024.0 / 1024);
                heap.Add(r.MaxHeap / 1024.0 / 1024);
                perMsg.Add(r.AllocatedBytes / (double)n);
                Console.WriteLine($"    memory n={n}: peak WS {peak[^1]:N1} MiB, max GC heap {heap[^1]:N1} MiB, {perMsg[^1]:N0} B/msg, {r.Rate:N0} msg/s, gen0/1/2 {r.Gen0}/{r.Gen1}/{r.Gen2}");
            }

            var p = new Dictionary<string, object?> { ["backlog"] = n, ["batch"] = Batch, ["concurrency"] = Concurrency };
            const string note = "memory: a fresh process per run (workstation GC, as a worker service) starts the host, drains the backlog with ProcessOnceAsync (batch 100, concurrency 16) and reports Process.PeakWorkingSet64 (whole life, start-up included), the largest GC heap sampled every 50 ms, and GC.GetTotalAllocatedBytes(precise) over the drain / messages.";
            ctx.Results.Add(new Measurement { Section = Section, Name = Name(n, "peak working set"), Unit = "MiB", Runs = [.. peak], Parameters = p, Note = note }, load);
            ctx.Results.Add(new Measurement { Section = Section, Name = Name(n, "largest GC heap"), Unit = "MiB", Runs = [.. heap], Parameters = p, Note = note }, load);
            ctx.Results.Add(new Measurement { Section = Section, Name = Name(n, "allocated per delivered message"), Unit = "bytes/msg", Runs = [.. perMsg], Parameters = p, Note = note }, load);
        }
    }

    private sealed record ChildResult(long PeakWorkingSet, long MaxHeap, long AllocatedBytes, double Rate, int Gen0, int Gen1, int Gen2);

    private static async Task<ChildResult> RunChildProcessAsync(BenchContext ctx, int expected)
    {
        await ctx.Receiver.ResetAsync();
        var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        psi.ArgumentList.Add(typeof(MemoryScenario).Assembly.Location);
        foreach (var a in new[] { "memory-child", ctx.Settings.Postgres, ctx.Schema, Table, ctx.Receiver.Endpoint.ToString(), expected.ToString(CultureInfo.InvariantCulture) })
        {
            psi.ArgumentList.Add(a);
        }

        using var process = Process.Start(psi)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        var line = (await stdout).Split('\n').FirstOrDefault(l => l.StartsWith("RESULT ", StringComparison.Ordinal))
            ?? throw new InvalidOperationException("memory child failed: " + await stderr);
        var received = await ctx.Receiver.CountAsync();
        if (received < expected)
        {
            throw new InvalidOperationException($"memory child delivered {received} of {expected}");
        }

        return JsonSerializer.Deserialize<ChildResult>(line["RESULT ".Length..])!;
    }

    /// <summary>The child: memory-child &lt;pg&gt; &lt;schema&gt; &lt;table&gt; &lt;endpoint&gt; &lt;expected&gt;.</summary>
    public static async Task<int> ChildAsync(string[] args)
    {
        var (pg, schema, table, endpoint, expected) = (args[0], args[1], args[2], new Uri(args[3]), int.Parse(args[4], CultureInfo.InvariantCulture));
        using var host = OutboxHost.PostgreSql(pg, schema, table, endpoint, o =>
        {
            o.RunDispatcher = false;
            o.BatchSize = Batch;
            o.MaxConcurrency = Concurrency;
        }, notifications: false);
        await host.StartAsync();
        var processor = host.Services.GetRequiredService<IOutboxProcessor>();
        long maxHeap = 0;
        using var stop = new CancellationTokenSource();
        var sampler = Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                maxHeap = Math.Max(maxHeap, GC.GetGCMemoryInfo(GCKind.Any).HeapSizeBytes);
                maxHeap = Math.Max(maxHeap, GC.GetTotalMemory(false));
                try
                {
                    await Task.Delay(50, stop.Token);
                }
                catch (OperationCanceledException)
                {
                }
            }
        });
        var g0 = GC.CollectionCount(0);
        var g1 = GC.CollectionCount(1);
        var g2 = GC.CollectionCount(2);
        var before = GC.GetTotalAllocatedBytes(precise: true);
        var sw = Stopwatch.StartNew();
        var done = 0;
        int k;
        while ((k = await processor.ProcessOnceAsync()) > 0)
        {
            done += k;
        }

        var rate = done / sw.Elapsed.TotalSeconds;
        var allocated = GC.GetTotalAllocatedBytes(precise: true) - before;
        await stop.CancelAsync();
        await sampler;
        using var self = Process.GetCurrentProcess();
        self.Refresh();
        var result = new ChildResult(self.PeakWorkingSet64, maxHeap, allocated, rate, GC.CollectionCount(0) - g0, GC.CollectionCount(1) - g1, GC.CollectionCount(2) - g2);
        await host.StopAsync();
        Console.WriteLine("RESULT " + JsonSerializer.Serialize(result));
        return done >= expected ? 0 : 1;
    }
}
