using System.Diagnostics;
using System.Globalization;
using System.Text;
using Npgsql;
using OrderOutbox.Benchmarks.Infrastructure;
using OrderOutbox.Benchmarks.Scenarios;

// OrderOutbox benchmark harness (issue 7). See docs/benchmarks.md.
//   dotnet run -c Release --project tests/OrderOutbox.Benchmarks -- [--quick] [--only a,b] [--skip a,b] [--pg <cs>] [--out dir] [--publish]
//   dotnet run -c Release --project tests/OrderOutbox.Benchmarks -- bdn [BenchmarkDotNet args]   (enqueue cost with BenchmarkDotNet)
// Scenarios: enqueue, floor, ef-enqueue, bulk, writers, writers-dispatching, drain, sqlite-drain, signing, recovery, diagnostics,
// ratelimit, history, latency, latency-remote, idle, memory, statistics, ordering (and the raw baselines inside drain).
if (args.Length > 0 && args[0] == "bdn")
{
#if NO_OUTBOX
    Console.Error.WriteLine("built without the outbox (NoOutbox=true)");
    return 2;
#else
    EnqueueBenchmarks.Run(args[1..]);
    return 0;
#endif
}

if (args.Length > 0 && args[0] == "dispatcher-child")
{
#if NO_OUTBOX
    return 2;
#else
    return await RemoteLatencyScenario.ChildAsync(args[1..]);
#endif
}

if (args.Length > 0 && args[0] == "memory-child")
{
#if NO_OUTBOX
    return 2;
#else
    return await MemoryScenario.ChildAsync(args[1..]);
#endif
}

var settings = BenchSettings.Parse(args);
#if DEBUG
Console.Error.WriteLine("WARNING: a Debug build; run with -c Release for figures that mean anything.");
#endif
var results = new ResultSet { Command = settings.CommandLine };
Console.WriteLine($"OrderOutbox benchmarks ({(settings.Quick ? "quick" : "full")} run), load average {Machine.LoadAverage()}");

await Pg.EnsureDatabaseAsync(settings.Postgres);
await using var db = NpgsqlDataSource.Create(settings.Postgres);
var pgVersion = await Pg.VersionAsync(db);
var sqliteVersion = SqliteVersion();
results.MachineInfo = Machine.Describe("PostgreSQL " + pgVersion, sqliteVersion);
await using var receiver = await ReceiverProcess.StartAsync(settings.ReceiverUrl, settings.ReceiverDll);
var (sameClock, clockRtt) = await receiver.CheckClockAsync();
results.MachineInfo["receiver"] = $"{receiver.Endpoint} (pid {receiver.ProcessId?.ToString(CultureInfo.InvariantCulture) ?? "external"})";
results.MachineInfo["receiverClockCheck"] = sameClock
    ? $"receiver Stopwatch timestamps lie between the harness's before/after reads (same CLOCK_MONOTONIC); best control round trip {clockRtt:N3} ms"
    : "FAILED: receiver timestamps are not on the harness's clock; latency figures are invalid";
await Pg.EnsureOrdersAsync(db, settings.Schema);

var payloads = Enumerable.Range(0, 1000).Select(Payloads.Json).ToArray();
var ctx = new BenchContext
{
    Settings = settings,
    Results = results,
    Db = db,
    Receiver = receiver,
    Payloads = payloads,
    Bodies = [.. payloads.Select(Encoding.UTF8.GetBytes)],
};
results.MachineInfo["payloadBytes"] = $"{payloads.Min(p => Encoding.UTF8.GetByteCount(p))}–{payloads.Max(p => Encoding.UTF8.GetByteCount(p))} (median {Stats.Median(payloads.Select(p => (double)Encoding.UTF8.GetByteCount(p)))})";

var scenarios = new List<(string Name, Func<BenchContext, Task> Run)>
{
#if !NO_OUTBOX
    ("enqueue", EnqueueScenario.RunAsync),
    ("floor", FloorScenario.RunAsync),
    ("ef-enqueue", EfEnqueueScenario.RunAsync),
    ("bulk", BulkEnqueueScenario.RunAsync),
    ("writers", WritersScenario.RunAsync),
    ("writers-dispatching", WritersDispatchingScenario.RunAsync),
    ("drain", DrainScenario.RunAsync),
    ("sqlite-drain", SqliteDrainScenario.RunAsync),
    ("signing", SigningScenario.RunAsync),
    ("recovery", RecoveryScenario.RunAsync),
    ("diagnostics", DiagnosticsScenario.RunAsync),
    ("ratelimit", RateLimitScenario.RunAsync),
    ("history", HistoryScenario.RunAsync),
    ("latency", LatencyScenario.RunAsync),
    ("latency-remote", RemoteLatencyScenario.RunAsync),
    ("idle", IdleScenario.RunAsync),
    ("memory", MemoryScenario.RunAsync),
    ("statistics", StatisticsScenario.RunAsync),
    ("ordering", OrderingScenario.RunAsync),
#else
    ("drain", Baselines.RunAsync),
#endif
};

var total = Stopwatch.StartNew();
foreach (var (name, run) in scenarios)
{
    if (!settings.Enabled(name))
    {
        continue;
    }

    Console.WriteLine($"== {name} (load {Machine.LoadAverage()}, t={total.Elapsed:mm\\:ss})");
    var sw = Stopwatch.StartNew();
    try
    {
        await run(ctx);
    }
#pragma warning disable CA1031 // one failed scenario must not lose the others' figures
    catch (Exception ex)
#pragma warning restore CA1031
    {
        results.Note($"scenario '{name}' failed: {ex.GetType().Name}: {ex.Message}");
        Console.Error.WriteLine(ex);
    }

    Console.WriteLine($"   {name} took {sw.Elapsed.TotalSeconds:N0} s");
}

results.MachineInfo["durationSeconds"] = Math.Round(total.Elapsed.TotalSeconds);
#if !NO_OUTBOX
Targets.Evaluate(results, Stats.Median(payloads.Select(p => (double)Encoding.UTF8.GetByteCount(p))));
#endif

Directory.CreateDirectory(settings.OutputDirectory);
var stamp = DateTime.UtcNow.ToString("yyyyMMdd-HHmmss", CultureInfo.InvariantCulture);
var mdPath = Path.Combine(settings.OutputDirectory, $"results-{stamp}.md");
var jsonPath = Path.Combine(settings.OutputDirectory, $"results-{stamp}.json");
var markdown = results.ToMarkdown();
await File.WriteAllTextAsync(mdPath, markdown);
await File.WriteAllTextAsync(jsonPath, results.ToJson());
Console.WriteLine();
Console.WriteLine(markdown);
Console.WriteLine($"written: {Path.GetFullPath(mdPath)}, {Path.GetFullPath(jsonPath)} ({total.Elapsed.TotalMinutes:N1} min)");
if (settings.Publish)
{
    var published = Publishing.Directory();
    Directory.CreateDirectory(published);
    File.Copy(jsonPath, Path.Combine(published, "latest.json"), overwrite: true);
    File.Copy(mdPath, Path.Combine(published, "latest.md"), overwrite: true);
    Console.WriteLine($"published: {Path.Combine(published, "latest.json")}, {Path.Combine(published, "latest.md")}");
}

return 0;

static string SqliteVersion()
{
    using var c = new Microsoft.Data.Sqlite.SqliteConnection("Data Source=:memory:");
    c.Open();
    using var cmd = c.CreateCommand();
    cmd.CommandText = "select sqlite_version()";
    return "SQLite " + (string)cmd.ExecuteScalar()!;
}
