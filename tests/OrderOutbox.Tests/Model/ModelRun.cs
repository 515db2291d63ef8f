using System.Buffers.Binary;
using System.Data.Common;
using System.Diagnostics;
using System.Text;
using Microsoft.Extensions.Time.Testing;
using OrderOutbox.Processing;
using OrderOutbox.Tests.Conformance;
using OrderOutbox.Tests.Support;

namespace OrderOutbox.Tests.Model;

/// <summary>What one run did, for the figures.</summary>
internal sealed record ModelReport(int Seed, int Records, int Attempts, int Crashes, int Stops, int Stalls, int Steps, TimeSpan FakeTime, TimeSpan RealTime, IReadOnlyList<string> Violations, string Failure);

/// <summary>
/// One randomized run of the whole engine: several real <see cref="OutboxProcessor"/>s on one store, a shared fake
/// clock, scripted receivers, crashes and stops — then the invariants. The driver only acts when the system is settled
/// (no store call in the database, the journal unchanged for a moment): every call then waits on the fake clock.
/// While a cycle runs the clock moves in steps of at most half a dispatch timeout, so a live processor is never
/// "frozen" past its lease by the driver; when every processor is idle it jumps to the next due time.
/// </summary>
internal sealed class ModelRun
{
    private static readonly DateTimeOffset T0 = new(2030, 1, 1, 0, 0, 0, TimeSpan.Zero);
    private static readonly TimeSpan SettleLimit = TimeSpan.FromSeconds(30);

    private readonly ModelConfig _config;
    private readonly IOutboxStoreFixture _fixture;
    private readonly FakeTimeProvider _time = new(T0);
    private readonly ModelTrace _trace = new();
    private readonly ModelActivity _activity = new();
    private readonly ModelAnswers _answers;
    private readonly List<ModelProcessor> _processors = [];
    private readonly List<Guid> _rolledBack = [];
    private ConformanceStore _store = null!;
    private int _crashes;
    private int _stops;
    private int _stalls;
    private int _steps;
    private int _idSequence;
    private Stall? _stall;

    public ModelRun(ModelConfig config, IOutboxStoreFixture fixture)
    {
        _config = config;
        _fixture = fixture;
        _answers = new ModelAnswers(config.Seed, config.DispatchTimeout);
    }

    private Random Rng => _config.Random;

    private DateTimeOffset Now => _time.GetUtcNow();

    public async Task<ModelReport> RunAsync(CancellationToken cancellationToken)
    {
        var clock = Stopwatch.StartNew();
        _store = await _fixture.CreateStoreAsync(_time, cancellationToken);
        await EnqueueAsync(_config.Records, rollBack: false, cancellationToken);
        for (int i = 0; i < _config.Processors; i++)
        {
            Spawn();
        }

        try
        {
            await MainPhaseAsync(cancellationToken);
            await DrainPhaseAsync(cancellationToken);
            Dictionary<Guid, OutboxMessage?> drained = await ReadRowsAsync(cancellationToken);
            foreach (RecordTrace record in _trace.Records())
            {
                Check(record, ModelInvariants.FinalOrWaiting(record, drained[record.Id], Now));
            }

            await StopPhaseAsync(cancellationToken);
            await CheckEndAsync(cancellationToken);
        }
        catch (TimeoutException ex)
        {
            _trace.Violation(ex.Message);
        }
        finally
        {
            _processors.ForEach(p => p.Dispose());
        }

        int attempts = _trace.Records().Sum(r => r.Attempts.Count);
        return new ModelReport(_config.Seed, _trace.Records().Count, attempts, _crashes, _stops, _stalls, _steps, Now - T0, clock.Elapsed, _trace.Violations, Describe());
    }

    private async Task MainPhaseAsync(CancellationToken cancellationToken)
    {
        int crashesLeft = _config.Crashes;
        int stopsLeft = _config.Stops;
        int stallsLeft = _config.Faults.HasFlag(ModelFaults.Stalls) ? Rng.Next(1, 4) : 0;
        int enqueuesLeft = Rng.Next(0, 4);
        for (int step = 0; step < _config.MaxSteps && !(AllFinal() && Running().Count == 0 && _stall is null) && _trace.Violations.Count == 0; step++)
        {
            await StepSettledAsync();
            ResumeWhenDue(force: false);
            List<ModelProcessor> running = Running().Where(p => !p.Process.Paused).ToList();
            double roll = Rng.NextDouble();
            if (stallsLeft > 0 && _stall is null && running.Count > 0 && roll < 0.04)
            {
                stallsLeft--;
                Freeze(running[Rng.Next(running.Count)]);
            }
            else if (crashesLeft > 0 && running.Count > 0 && roll < 0.02)
            {
                crashesLeft--;
                Crash(running[Rng.Next(running.Count)]);
            }
            else if (stopsLeft > 0 && running.Count > 0 && roll < 0.035)
            {
                stopsLeft--;
                Stop(running[Rng.Next(running.Count)], forced: Rng.NextDouble() < 0.4);
            }
            else if (enqueuesLeft > 0 && roll < 0.05)
            {
                enqueuesLeft--;
                await EnqueueAsync(Rng.Next(1, 11), rollBack: Rng.NextDouble() < 0.2, cancellationToken);
            }
            else if (Live().Count < 1 || (Live().Count < 5 && roll < 0.06))
            {
                Spawn();
            }
            else
            {
                StartOrAdvance(startChance: 0.35);
            }
        }
    }

    private async Task DrainPhaseAsync(CancellationToken cancellationToken)
    {
        ResumeWhenDue(force: true);
        _trace.Note($"drain from {ModelTrace.Format(Now)}");
        if (Live().Count == 0)
        {
            Spawn();
        }

        for (int step = 0; step < 4 * _config.MaxSteps && !(AllFinal() && Running().Count == 0) && _trace.Violations.Count == 0; step++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            await StepSettledAsync();
            StartOrAdvance(startChance: 0.8);
        }

        await StepSettledAsync();
    }

    /// <summary>Fresh records, cycles on every live processor, then every processor stopped mid-cycle: no lease may remain.</summary>
    private async Task StopPhaseAsync(CancellationToken cancellationToken)
    {
        await EnqueueAsync(Rng.Next(5, 30), rollBack: false, cancellationToken);
        foreach (ModelProcessor processor in Live())
        {
            processor.Start(_trace);
        }

        int steps = Rng.Next(0, 8);
        for (int i = 0; i < steps; i++)
        {
            await StepSettledAsync();
            Advance(TimeSpan.FromMilliseconds(Rng.Next(1, (int)(_config.DispatchTimeout.TotalMilliseconds / 2))));
        }

        await StepSettledAsync();
        foreach (ModelProcessor processor in Running())
        {
            Stop(processor, forced: Rng.NextDouble() < 0.5);
        }

        for (int i = 0; i < 10_000 && Running().Count > 0; i++)
        {
            await StepSettledAsync();
            Advance(TimeSpan.FromMilliseconds(Rng.Next(1, (int)(_config.DispatchTimeout.TotalMilliseconds / 2))));
        }

        await StepSettledAsync();
        if (Running().Count > 0)
        {
            _trace.Violation($"stopped processors still running: {string.Join(", ", Running().Select(p => "P" + p.Process.Id))}");
        }
    }

    private async Task CheckEndAsync(CancellationToken cancellationToken)
    {
        Dictionary<Guid, OutboxMessage?> rows = await ReadRowsAsync(cancellationToken);
        var backoff = new ExponentialBackoffPolicy(_config.Backoff());
        var crashed = _processors.Where(p => p.Process.Crashed).Select(p => p.Process.Id).ToHashSet();
        foreach (RecordTrace record in _trace.Records())
        {
            OutboxMessage? row = rows[record.Id];
            if (row?.LeaseOwner is { } owner)
            {
                Check(record, [$"still leased by [{owner}] until {ModelTrace.Format(row.LeaseExpiresAt)} after every processor stopped"]);
            }

            Check(record, ModelInvariants.AttemptsBounded(record, _config.MaxRetries));
            Check(record, ModelInvariants.Fenced(record, row));
            Check(record, ModelInvariants.WritesAgreeWithCalls(record, _config.DispatchTimeout, backoff));
            Check(record, ModelInvariants.HookOncePerDeadLetter(record, crashed));
        }

        foreach (Guid id in _rolledBack)
        {
            if (await _store.Admin.GetAsync(id, cancellationToken) is not null)
            {
                _trace.Violation($"the rolled-back record {id} is in the store");
            }
        }
    }

    private void Check(RecordTrace record, IEnumerable<string> violations)
    {
        foreach (string violation in violations)
        {
            _trace.Violation($"record #{record.Index} {record.Id}: {violation}");
        }
    }

    /// <summary>Starts a cycle on an idle processor (more likely when something is due) or moves the clock.</summary>
    private void StartOrAdvance(double startChance)
    {
        List<ModelProcessor> idle = Live().Where(p => !p.IsRunning).ToList();
        DateTimeOffset? nextDue = _trace.NextDue();
        bool dueNow = nextDue is { } due && due <= Now;
        if (idle.Count > 0 && Rng.NextDouble() < (dueNow ? startChance : 0.05))
        {
            idle[Rng.Next(idle.Count)].Start(_trace);
            return;
        }

        int halfTimeout = (int)(_config.DispatchTimeout.TotalMilliseconds / 2);
        if (Running().Count > 0 || nextDue is null || dueNow)
        {
            Advance(TimeSpan.FromMilliseconds(Rng.Next(1, halfTimeout)));
        }
        else
        {
            Advance(nextDue.Value - Now + TimeSpan.FromMilliseconds(Rng.Next(0, halfTimeout)));
        }
    }

    private void Advance(TimeSpan by) => _time.Advance(by);

    private void Spawn()
    {
        ModelProcessorSettings settings = _config.NextProcessor();
        var process = new ModelProcess(_processors.Count + 1);
        Random? blips = _config.Faults.HasFlag(ModelFaults.StoreBlips) ? new Random((_config.Seed * 7919) + process.Id) : null;
        var store = new ModelStore(_store.Store, process, _trace, _activity, blips);
        OutboxOptions options = _config.Options(settings);
        if (_config.Faults.HasFlag(ModelFaults.SharedInstanceId))
        {
            options.InstanceId = "node";
        }

        OutboxProcessor engine = Processors.Create(
            store,
            new ModelDispatcher(process, _trace, _answers, _time),
            _time,
            options,
            deadLetterHandlers: [new ModelDeadLetterHandler(process, _trace)]);
        _processors.Add(new ModelProcessor(process, engine, settings));
        _trace.Note($"P{process.Id} joins at {ModelTrace.Format(Now)}: {settings}");
    }

    private void Crash(ModelProcessor processor)
    {
        _crashes++;
        if (Rng.NextDouble() < 0.5)
        {
            processor.Process.ArmCrashAfterNextStoreCall();
            _trace.Note($"P{processor.Process.Id} will crash right after its next store call");
            return;
        }

        processor.Process.Crash();
        int held = _trace.Crashed(processor.Process.Id);
        _trace.Note($"P{processor.Process.Id} crashed at {ModelTrace.Format(Now)}, holding {held} leases");
    }

    /// <summary>Freezes a running processor until its leases have ended (and a little more).</summary>
    private void Freeze(ModelProcessor processor)
    {
        _stalls++;
        processor.Process.Pause();
        var held = _trace.HeldBy(processor.Process.Id);
        DateTimeOffset until = Now + processor.Settings.LeaseDuration + TimeSpan.FromMilliseconds(Rng.Next(0, (int)_config.DispatchTimeout.TotalMilliseconds));
        _stall = new Stall(processor, held, until);
        _trace.Note($"P{processor.Process.Id} frozen at {ModelTrace.Format(Now)} until {ModelTrace.Format(until)}, holding {held.Count} leases");
    }

    private void ResumeWhenDue(bool force)
    {
        if (_stall is not { } stall || (!force && Now < stall.Until))
        {
            return;
        }

        _stall = null;
        int expired = _trace.Stalled(stall.Held, Now);
        stall.Processor.Process.Resume();
        _trace.Note($"P{stall.Processor.Process.Id} resumed at {ModelTrace.Format(Now)}; {expired} of its leases ended while it was frozen");
    }

    private void Stop(ModelProcessor processor, bool forced)
    {
        _stops++;
        processor.Stop(forced);
        _trace.Note($"P{processor.Process.Id} stopped ({(forced ? "calls in flight aborted" : "graceful")}) at {ModelTrace.Format(Now)}");
    }

    private async Task EnqueueAsync(int count, bool rollBack, CancellationToken cancellationToken)
    {
        await using DbConnection connection = await _fixture.OpenConnectionAsync(cancellationToken);
        await using DbTransaction transaction = await connection.BeginTransactionAsync(cancellationToken);
        var entries = new List<OutboxEntry>(count);
        for (int i = 0; i < count; i++)
        {
            var entry = new OutboxEntry(NextId(), "order.completed", "order-" + _idSequence, "{\"n\":" + _idSequence + "}", null, Now);
            await _store.Store.EnqueueAsync(transaction, entry, cancellationToken);
            entries.Add(entry);
        }

        if (rollBack)
        {
            await transaction.RollbackAsync(cancellationToken);
            _rolledBack.AddRange(entries.Select(e => e.Id));
            _trace.Note($"{count} records rolled back at {ModelTrace.Format(Now)}");
            return;
        }

        foreach (OutboxEntry entry in entries)
        {
            _trace.AddRecord(entry.Id, entry.CreatedAt);
        }

        await transaction.CommitAsync(cancellationToken);
        _trace.Note($"{count} records committed at {ModelTrace.Format(Now)}");
    }

    /// <summary>A UUIDv7-shaped ID from the fake time and the seed, so a replay claims ties in the same order.</summary>
    private Guid NextId()
    {
        Span<byte> bytes = stackalloc byte[16];
        BinaryPrimitives.WriteInt64BigEndian(bytes, Now.ToUnixTimeMilliseconds() << 16);
        BinaryPrimitives.WriteInt32BigEndian(bytes[8..], _config.Seed);
        BinaryPrimitives.WriteInt32BigEndian(bytes[12..], ++_idSequence);
        bytes[6] = (byte)(0x70 | (bytes[6] & 0x0F));
        bytes[8] = (byte)(0x80 | (bytes[8] & 0x3F));
        return new Guid(bytes, bigEndian: true);
    }

    /// <summary>
    /// Waits until no store call is in the database, no thread-pool work is queued (looked at for at most 100 ms, as
    /// other test classes share the pool) and the journal stays unchanged for three looks a millisecond apart; then
    /// reaps ended cycles.
    /// </summary>
    private async Task StepSettledAsync()
    {
        _steps++;
        var limit = Stopwatch.StartNew();
        long seen = -1;
        int quiet = 0;
        while (quiet < 3)
        {
            long version = _trace.Version;
            bool poolIdle = ThreadPool.PendingWorkItemCount == 0 || limit.ElapsedMilliseconds > 100;
            if (_activity.Running == 0 && version == seen && poolIdle)
            {
                quiet++;
            }
            else
            {
                quiet = 0;
                seen = version;
            }

            if (limit.Elapsed > SettleLimit)
            {
                throw new TimeoutException($"the engine did not settle within {SettleLimit.TotalSeconds:0} s (a hang): {_activity.Running} store calls in the database; running: {string.Join(", ", Running().Select(p => "P" + p.Process.Id))}");
            }

            await Task.Delay(TimeSpan.FromMilliseconds(1), TimeProvider.System);
        }

        foreach (ModelProcessor processor in _processors)
        {
            if (processor.Reap() is { } failure && !failure.StartsWith(typeof(ModelStoreBlipException).FullName!, StringComparison.Ordinal))
            {
                _trace.Violation($"a cycle of P{processor.Process.Id} threw: {failure}");
            }
        }
    }

    private List<ModelProcessor> Live() => _processors.Where(p => !p.Process.Crashed && !p.Retired).ToList();

    private List<ModelProcessor> Running() => _processors.Where(p => !p.Process.Crashed && p.IsRunning).ToList();

    private bool AllFinal() => _trace.NextDue() is null;

    private async Task<Dictionary<Guid, OutboxMessage?>> ReadRowsAsync(CancellationToken cancellationToken)
    {
        var rows = new Dictionary<Guid, OutboxMessage?>();
        foreach (RecordTrace record in _trace.Records())
        {
            rows[record.Id] = await _store.Admin.GetAsync(record.Id, cancellationToken);
        }

        return rows;
    }

    private sealed record Stall(ModelProcessor Processor, List<(RecordTrace Record, DateTimeOffset LeaseUntil)> Held, DateTimeOffset Until);

    private string Describe()
    {
        if (_trace.Violations.Count == 0)
        {
            return string.Empty;
        }

        var text = new StringBuilder();
        text.Append(_trace.Violations.Count).Append(" violations in ").Append(_config).Append(" on ").Append(_fixture.ProviderName);
        text.Append("\nreplay: ORDEROUTBOX_MODEL_SEED=").Append(_config.Seed).Append(" ORDEROUTBOX_MODEL_RUNS=1 dotnet test tests/OrderOutbox.Tests --filter FullyQualifiedName~").Append(_fixture.ProviderName).Append("EngineModelTests");
        foreach (ModelProcessor processor in _processors)
        {
            text.Append("\n  P").Append(processor.Process.Id).Append(": ").Append(processor.Settings).Append(processor.Process.Crashed ? " (crashed)" : processor.Retired ? " (stopped)" : string.Empty);
        }

        foreach (string violation in _trace.Violations.Take(15))
        {
            text.Append("\n- ").Append(violation);
        }

        var shown = new HashSet<Guid>();
        foreach (RecordTrace record in _trace.Records())
        {
            if (shown.Count < 4 && _trace.Violations.Any(v => v.Contains(record.Id.ToString(), StringComparison.Ordinal)) && shown.Add(record.Id))
            {
                text.Append('\n').Append(record.Describe());
            }
        }

        text.Append("\nlast driver events:\n  ").Append(_trace.RecentEvents());
        return text.ToString();
    }
}
