using System.Diagnostics;
using Xunit;

namespace OrderOutbox.FaultInjection.Tests.Harness;

/// <summary>
/// Everything one scenario needs: its own schema, a receiver, worker processes, and the measurement at the end.
/// Disposing it kills any worker still running.
/// </summary>
internal sealed partial class ScenarioHarness : IAsyncDisposable
{
    private readonly ITestOutputHelper _output;
    private readonly List<WorkerProcess> _workers = [];
    private readonly Stopwatch _clock = Stopwatch.StartNew();

    private ScenarioHarness(string name, ScenarioDatabase db, FaultReceiver receiver, ITestOutputHelper output)
    {
        Name = name;
        Db = db;
        Receiver = receiver;
        _output = output;
        LogDirectory = Path.Combine(AppContext.BaseDirectory, "fault-logs", name);
    }

    public string Name { get; }

    public ScenarioDatabase Db { get; }

    public FaultReceiver Receiver { get; }

    public string LogDirectory { get; }

    public IReadOnlyList<WorkerProcess> AllWorkers => _workers;

    public static async Task<ScenarioHarness> StartAsync(string name, ITestOutputHelper output, CancellationToken cancellationToken)
    {
        var connectionString = FaultEnvironment.RequireConnectionString();
        var db = await ScenarioDatabase.CreateAsync(connectionString, "fi_" + name, cancellationToken);
        var receiver = await FaultReceiver.StartAsync();
        return new ScenarioHarness(name, db, receiver, output);
    }

    /// <summary>The default worker command line of this scenario (short backoff, short lease, short poll).</summary>
    public WorkerConfig Config(string worker, int generation = 1) => new()
    {
        ConnectionString = Db.ConnectionString,
        Schema = Db.Schema,
        Endpoint = Receiver.Endpoint,
        InstanceId = $"fi-{Name}-{worker}-g{generation}-",
    };

    public async Task<WorkerProcess> StartWorkerAsync(WorkerConfig config, CancellationToken cancellationToken)
    {
        var worker = await WorkerProcess.StartAsync(config, LogDirectory, cancellationToken);
        lock (_workers)
        {
            _workers.Add(worker);
        }

        return worker;
    }

    public async Task<WorkerProcess[]> StartWorkersAsync(int count, Func<int, WorkerConfig> config, CancellationToken cancellationToken)
        => await Task.WhenAll(Enumerable.Range(1, count).Select(i => StartWorkerAsync(config(i), cancellationToken)));

    public void Log(string message)
    {
        var line = $"[{_clock.Elapsed.TotalSeconds,6:F1}s {Name}] {message}";
        _output.WriteLine(line);
    }

    /// <summary>
    /// Waits until no record is <c>PENDING</c> or <c>FAILED</c> (twice in a row, half a second apart), or the deadline.
    /// </summary>
    /// <returns>Whether the outbox settled before the deadline.</returns>
    public async Task<bool> WaitUntilSettledAsync(TimeSpan deadline, CancellationToken cancellationToken)
    {
        var clock = Stopwatch.StartNew();
        var zeroes = 0;
        while (clock.Elapsed < deadline)
        {
            zeroes = await Db.CountUnfinishedAsync(cancellationToken) == 0 ? zeroes + 1 : 0;
            if (zeroes >= 2)
            {
                return true;
            }

            await Task.Delay(TimeSpan.FromMilliseconds(500), cancellationToken);
        }

        Log($"not settled after {deadline.TotalSeconds:F0}s: {await Db.CountUnfinishedAsync(cancellationToken)} records still PENDING/FAILED");
        return false;
    }

    /// <summary>Counts what was committed, delivered, lost, duplicated and dead-lettered.</summary>
    /// <param name="writes">What the writers did.</param>
    /// <param name="elapsed">The scenario's duration.</param>
    /// <param name="cancellationToken">Cancels the reads.</param>
    /// <param name="heldByKilled">The records SIGKILLed workers held when they died.</param>
    public async Task<Figures> MeasureAsync(WriteSummary writes, TimeSpan elapsed, CancellationToken cancellationToken, IReadOnlySet<Guid>? heldByKilled = null)
    {
        var committed = await Db.ReadCommittedAsync(cancellationToken);
        var outbox = await Db.ReadOutboxAsync(cancellationToken);
        var hooks = await Db.ReadHookCallsAsync(cancellationToken);
        var seen = Receiver.Snapshot();

        var deliveredIds = seen.Values.Where(m => m.Delivered > 0).Select(m => m.Id).ToHashSet();
        var deadNow = outbox.Values.Where(r => r.Status == OutboxStatusText.DeadLetter).Select(r => r.Id).ToHashSet();
        var everDead = new HashSet<Guid>(deadNow);
        everDead.UnionWith(hooks.Keys);

        var lost = committed.Keys.Count(id => !deliveredIds.Contains(id) && !deadNow.Contains(id));
        var bodyMismatches = seen.Values.Count(m => m.Delivered > 0
            && (m.BodyHashes.Count != 1 || !writes.ExpectedSha256.TryGetValue(m.Id, out var sha) || m.BodyHashes.First() != sha));
        var atomicity = outbox.Keys.Count(id => !committed.ContainsKey(id)) + committed.Keys.Count(id => !outbox.ContainsKey(id));

        var duplicated = seen.Values.Where(m => m.Delivered > 1).Select(m => m.Id).ToHashSet();
        var (fenced, outcomeWritesLost) = ReadWorkerLogs();
        var byKill = duplicated.Where(id => heldByKilled?.Contains(id) == true).ToHashSet();
        var byRetry = duplicated.Where(id => !byKill.Contains(id) && outbox.TryGetValue(id, out var row) && row.RetryCount > 0).ToHashSet();
        var byFencing = duplicated.Where(id => !byKill.Contains(id) && !byRetry.Contains(id) && fenced.ContainsKey(id)).ToHashSet();

        foreach (var id in duplicated.Except(byKill).Except(byRetry).Except(byFencing).Take(10))
        {
            var log = seen[id];
            Log($"unexplained duplicate {id} (order {log.OrderNo}): {log.Attempts} attempts, {log.Delivered} deliveries at "
                + string.Join(", ", Receiver.Deliveries.Where(d => d.Id == id).Select(d => d.At.ToString("HH:mm:ss.fff", System.Globalization.CultureInfo.InvariantCulture))));
        }

        return new Figures
        {
            Scenario = Name,
            Committed = committed.Count,
            Delivered = deliveredIds.Count(committed.ContainsKey),
            Lost = lost,
            Duplicates = seen.Values.Sum(m => Math.Max(0, m.Delivered - 1)),
            DuplicatedIds = duplicated,
            DuplicatedByKill = byKill.Count,
            DuplicatedByRetry = byRetry.Count,
            DuplicatedByFencing = byFencing.Count,
            DuplicatedUnexplained = duplicated.Count - byKill.Count - byRetry.Count - byFencing.Count,
            OutcomeWritesLost = outcomeWritesLost,
            DeadLettered = everDead.Count,
            Elapsed = elapsed,
            Phantom = deliveredIds.Count(id => !committed.ContainsKey(id)),
            RolledBack = writes.RolledBack.Count,
            RolledBackDelivered = deliveredIds.Count(writes.RolledBack.Contains),
            AtomicityViolations = atomicity,
            BodyMismatches = bodyMismatches,
            ProtocolErrors = Receiver.ProtocolErrors,
        };
    }

    /// <summary>
    /// Reads the workers' logs: the IDs whose outcome was fenced off (event 1104) and the number of outcomes whose write
    /// failed (event 1105, which names no IDs).
    /// </summary>
    public (Dictionary<Guid, int> Fenced, int OutcomeWritesLost) ReadWorkerLogs()
    {
        var fenced = new Dictionary<Guid, int>();
        var lost = 0;
        if (!Directory.Exists(LogDirectory))
        {
            return (fenced, lost);
        }

        foreach (var file in Directory.EnumerateFiles(LogDirectory, "*log.txt"))
        {
            using var stream = new FileStream(file, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
            using var reader = new StreamReader(stream);
            while (reader.ReadLine() is { } line)
            {
                if (FencedLine().Match(line) is { Success: true } f)
                {
                    var id = Guid.Parse(f.Groups[1].Value);
                    fenced[id] = fenced.GetValueOrDefault(id) + 1;
                }
                else if (OutcomeWriteFailedLine().Match(line) is { Success: true } w)
                {
                    lost += int.Parse(w.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture);
                }
            }
        }

        return (fenced, lost);
    }

    [System.Text.RegularExpressions.GeneratedRegex(@"of outbox message ([0-9a-fA-F-]{36}) was not written: the lease")]
    private static partial System.Text.RegularExpressions.Regex FencedLine();

    [System.Text.RegularExpressions.GeneratedRegex(@"Writing (\d+) outbox outcomes failed")]
    private static partial System.Text.RegularExpressions.Regex OutcomeWriteFailedLine();

    /// <summary>Prints the scenario's one line of figures to the test output, the console and <c>fault-figures.txt</c>.</summary>
    public void Report(Figures figures, string? extra = null)
    {
        var line = figures.Line(extra);
        _output.WriteLine(line);
        Console.WriteLine(line);
        TestContext.Current.SendDiagnosticMessage(line);
        var file = Environment.GetEnvironmentVariable("ORDEROUTBOX_FAULT_FIGURES") is { Length: > 0 } path
            ? path
            : Path.Combine(AppContext.BaseDirectory, "fault-figures.txt");
        lock (typeof(ScenarioHarness))
        {
            File.AppendAllText(file, $"{DateTimeOffset.UtcNow:u} {line}{Environment.NewLine}");
        }
    }

    /// <summary>Fails with the workers' last output when one of them died on its own.</summary>
    public void AssertNoWorkerExited(IEnumerable<WorkerProcess> workers)
    {
        foreach (var worker in workers)
        {
            Assert.False(worker.HasExited, $"worker {worker.InstanceId} exited with code {worker.ExitCode}:{Environment.NewLine}{worker.Tail}");
        }
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var worker in _workers)
        {
            await worker.DisposeAsync();
        }

        await Receiver.DisposeAsync();
        await Db.DisposeAsync();
    }
}
