using System.Diagnostics;
using System.Globalization;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Npgsql;
using OrderOutbox.Benchmarks.Infrastructure;

namespace OrderOutbox.Benchmarks.Scenarios;

/// <summary>
/// 3. Latency: commit → arrival at the receiver (another process) at a steady order rate, with the hosted dispatcher
/// (default batch and concurrency), for PostgreSQL with LISTEN/NOTIFY wake-up and for polling every second.
/// </summary>
/// <remarks>
/// Clock: both processes read <see cref="Stopwatch.GetTimestamp"/>, which on Linux is clock_gettime(CLOCK_MONOTONIC):
/// one clock for the whole machine, so the receiver's arrival timestamp minus the harness's commit timestamp is the
/// latency (the harness checks this at start: a receiver reading falls between two local ones). The commit timestamp
/// is taken when <c>CommitAsync</c> returns; the arrival timestamp when the receiver has read the request body.
/// Records are matched by message ID (the Idempotency-Key header the HTTP dispatcher sends, or ce-id).
/// </remarks>
internal static class LatencyScenario
{
    public const string Section = "3. Latency: commit → arrival at the receiver";
    public const string Table = "latency_outbox";

    public static string Name(string mode, string p) => $"PostgreSQL, {mode}: {p}";

    public const string WakeUp = "LISTEN/NOTIFY wake-up";
    public const string Polling = "polling every 1 s, notifications off";
    public const string WakeUpAsyncCommit = "LISTEN/NOTIFY wake-up, store connections synchronous_commit=off";
    public const string WakeUpOtherWriter = "LISTEN/NOTIFY wake-up, writer in another host (no in-process signal)";

    public static async Task RunAsync(BenchContext ctx)
    {
        var asyncCommit = new Npgsql.NpgsqlConnectionStringBuilder(ctx.Settings.Postgres) { Options = "-c synchronous_commit=off" }.ConnectionString;
        await RunModeAsync(ctx, WakeUp, notifications: true, polling: null, ctx.Settings.Postgres);
        await RunModeAsync(ctx, Polling, notifications: false, polling: TimeSpan.FromSeconds(1), ctx.Settings.Postgres);
        await RunModeAsync(ctx, WakeUpAsyncCommit, notifications: true, polling: null, asyncCommit);
        await RunModeAsync(ctx, WakeUpOtherWriter, notifications: true, polling: null, ctx.Settings.Postgres, separateWriter: true);
    }

    private static async Task RunModeAsync(BenchContext ctx, string mode, bool notifications, TimeSpan? polling, string storeConnectionString, bool separateWriter = false)
    {
        var s = ctx.Settings;
        await Pg.ExecAsync(ctx.Db, $"drop table if exists {ctx.Schema}.{Table}");
        using var host = OutboxHost.PostgreSql(storeConnectionString, ctx.Schema, Table, ctx.Receiver.Endpoint, o =>
        {
            o.RunDispatcher = true;
            if (polling is { } p)
            {
                o.PollingInterval = p;
            }
        }, notifications);
        await host.StartAsync();

        // The dispatcher "in another process": the orders are written through a second host that runs no dispatcher, so
        // only LISTEN/NOTIFY (and the follow-up claims) can wake the first one; the in-process enqueue signal cannot.
        using var writerHost = separateWriter
            ? OutboxHost.PostgreSql(storeConnectionString, ctx.Schema, Table, ctx.Receiver.Endpoint, o => o.RunDispatcher = false, notifications)
            : null;
        if (writerHost is not null)
        {
            await writerHost.StartAsync();
        }

        var load = Machine.Load1().ToString("N2", CultureInfo.InvariantCulture);
        try
        {
            var writer = (writerHost ?? host).Services.GetRequiredService<IOutboxWriter>();
            await using var app = NpgsqlDataSource.Create(s.Postgres);
            var update = OrderTransactions.PgUpdateSql(ctx.Schema);
            var runs = s.Runs;
            var p50 = new double[runs];
            var p95 = new double[runs];
            var p99 = new double[runs];
            var max = new double[runs];
            var commit = new double[runs];
            long missing = 0;
            var grace = TimeSpan.FromSeconds(5) + (polling ?? TimeSpan.Zero);
            for (var run = -1; run < runs; run++)
            {
                await ctx.Receiver.ResetAsync();
                await ctx.Receiver.RecordAsync(true);
                var duration = run < 0 ? s.LatencyWarmup : s.LatencyDuration;
                var orders = await GenerateAsync(app, update, writer, s.LatencyRate, duration);
                await ctx.Receiver.WaitForCountAsync(orders.Count, grace);
                await ctx.Receiver.RecordAsync(false);
                var arrivals = await ctx.Receiver.ArrivalsAsync();
                var lat = new List<double>(orders.Count);
                var commits = new List<double>(orders.Count);
                foreach (var o in orders)
                {
                    commits.Add(Stats.TicksToMs(o.Committed - o.BeforeCommit));
                    if (arrivals.TryGetValue(o.Id, out var at))
                    {
                        lat.Add(Stats.TicksToMs(at - o.Committed));
                    }
                    else if (run >= 0)
                    {
                        missing++;
                    }
                }

                if (run < 0)
                {
                    continue;
                }

                var sorted = lat.ToArray();
                Array.Sort(sorted);
                p50[run] = Stats.Percentile(sorted, 50);
                p95[run] = Stats.Percentile(sorted, 95);
                p99[run] = Stats.Percentile(sorted, 99);
                max[run] = sorted.Length > 0 ? sorted[^1] : double.NaN;
                commit[run] = Stats.Percentile(commits, 50);
                Console.WriteLine($"    {mode} run {run + 1}: {orders.Count} orders, arrived {lat.Count}; p50 {p50[run]:N2} p95 {p95[run]:N2} p99 {p99[run]:N2} max {max[run]:N1} ms (load {Machine.LoadAverage()})");
            }

            var par = new Dictionary<string, object?> { ["ordersPerSecond"] = s.LatencyRate, ["seconds"] = s.LatencyDuration.TotalSeconds, ["notifications"] = notifications, ["pollingInterval"] = polling?.ToString() ?? "default (1 min)", ["missing"] = missing };
            var note = $"latency: {s.LatencyRate} orders/s for {s.LatencyDuration.TotalSeconds:N0} s per run (after a {s.LatencyWarmup.TotalSeconds:N0} s warm-up), each order its own transaction (UPDATE order + EnqueueAsync + COMMIT); hosted dispatcher with default BatchSize/MaxConcurrency (the synchronous_commit=off variant changes only the dispatcher's own connections, not the caller's); from CommitAsync returning to the receiver having read the body, both stamped with Stopwatch.GetTimestamp (CLOCK_MONOTONIC, shared by the processes); records matched by message ID.";
            ctx.Results.Add(new Measurement { Section = Section, Name = Name(mode, "p50"), Unit = "ms", Runs = p50, Parameters = par, Note = note }, load);
            ctx.Results.Add(new Measurement { Section = Section, Name = Name(mode, "p95"), Unit = "ms", Runs = p95, Parameters = par, Note = note }, load);
            ctx.Results.Add(new Measurement { Section = Section, Name = Name(mode, "p99"), Unit = "ms", Runs = p99, Parameters = par, Note = note }, load);
            ctx.Results.Add(new Measurement { Section = Section, Name = Name(mode, "max"), Unit = "ms", Runs = max, Parameters = par, Note = note }, load);
            ctx.Results.Add(new Measurement { Section = Section, Name = Name(mode, "caller's COMMIT p50"), Unit = "ms", Runs = commit, Parameters = par, Note = note }, load);
            if (missing > 0)
            {
                ctx.Results.Note($"latency ({mode}): {missing} committed records had not reached the receiver within {grace.TotalSeconds:N0} s after the run");
            }
        }
        finally
        {
            if (writerHost is not null)
            {
                await writerHost.StopAsync();
            }

            await host.StopAsync();
        }
    }

    /// <summary>The order rate the last <see cref="GenerateAsync"/> reached (orders/s).</summary>
    public static double LastAchievedRate { get; private set; }

    /// <summary>
    /// Writes <paramref name="rate"/> × <paramref name="duration"/> orders on an open-loop schedule. With
    /// <paramref name="stopAfter"/>, a writer that lags its schedule (a busy machine) stops issuing orders at that time,
    /// so the run's length stays bounded; <see cref="LastAchievedRate"/> then shows the rate reached.
    /// </summary>
    internal static async Task<List<(Guid Id, long BeforeCommit, long Committed)>> GenerateAsync(
        NpgsqlDataSource app, string update, IOutboxWriter writer, int rate, TimeSpan duration, TimeSpan? stopAfter = null)
    {
        var total = (int)(rate * duration.TotalSeconds);
        var interval = (double)Stopwatch.Frequency / rate;
        var tasks = new List<Task<(long Start, long BeforeCommit, long Committed, Guid Id)>>(total);
        // At most 32 orders in flight (PostgreSQL's connection limit is shared); a slow machine then lags the schedule.
        using var inFlight = new SemaphoreSlim(32);
        var start = Stopwatch.GetTimestamp();
        var stopAt = stopAfter is { } sa ? start + (long)(sa.TotalSeconds * Stopwatch.Frequency) : long.MaxValue;
        for (var i = 0; i < total && Stopwatch.GetTimestamp() < stopAt; i++)
        {
            var due = start + (long)(i * interval);
            var wait = due - Stopwatch.GetTimestamp();
            if (wait > 0)
            {
                await Task.Delay(TimeSpan.FromTicks(Math.Max(TimeSpan.TicksPerMillisecond, wait * TimeSpan.TicksPerSecond / Stopwatch.Frequency)));
            }

            var order = i;
            await inFlight.WaitAsync();
            tasks.Add(Task.Run(async () =>
            {
                try
                {
                    return await OrderTransactions.PostgresAsync(app, update, writer, order, Payloads.Create(order % 1000));
                }
                finally
                {
                    inFlight.Release();
                }
            }));
        }

        var done = await Task.WhenAll(tasks);
        var achieved = tasks.Count / Stats.TicksToMs(Stopwatch.GetTimestamp() - start) * 1000;
        LastAchievedRate = achieved;
        if (achieved < rate * 0.95)
        {
            Console.WriteLine($"    note: the writer reached {achieved:N0} orders/s of the {rate} asked (machine too busy){(tasks.Count < total ? $"; stopped after {tasks.Count:N0} of {total:N0} orders" : "")}");
        }

        return [.. done.Select(d => (d.Id, d.BeforeCommit, d.Committed))];
    }
}
