using Microsoft.Extensions.Logging;
using OrderOutbox.Diagnostics;
using OrderOutbox.Hosting;

namespace OrderOutbox.Processing;

/// <summary>
/// The single writer of a cycle's outcomes: whatever workers add while a write is running goes into the next write, so
/// outcomes reach the store in batches (one <see cref="IOutboxStore.CompleteAsync"/> per round trip) and the workers
/// never wait for the database. After each write it counts and logs the stored outcomes and hands dead letters to the
/// <see cref="DeadLetterNotifier"/> (which runs the handlers elsewhere, so they never delay a write).
/// </summary>
/// <remarks>
/// <para><b>A blip loses nothing.</b> A failed write is retried with a short capped backoff (<see cref="FirstRetryDelay"/>
/// doubling to <see cref="MaxRetryDelay"/>, through the <see cref="TimeProvider"/>) for as long as the earliest lease of
/// the batch is valid.</para>
/// <para><b>One bad outcome never loses the others.</b> After <see cref="SplitAfterFailures"/> failed attempts of a batch
/// its outcomes are written one by one: those the store takes land; one it keeps refusing while others land is logged
/// and dropped (its record is attempted again after its lease).</para>
/// <para><b>Few writes.</b> Before each write the writer lingers up to <see cref="Linger"/> (on the
/// <see cref="TimeProvider"/>) so that one <c>UPDATE</c> carries the outcomes of many calls; it writes at once when
/// <see cref="MaxOutcomesPerWrite"/> outcomes are waiting, when a lease of the batch ends within <see cref="LingerLeaseGuard"/>,
/// when no claimed record is waiting to start (<see cref="LingerWhile"/>, <see cref="QueueEmptied"/>: only calls in
/// flight could add more), or when the cycle asks for the rest (<see cref="WhenIdleAsync"/>), so a cycle never waits for a linger at its end.</para>
/// <para><b>A heartbeat per write.</b> Each write that lands beats the dispatcher heartbeat (when given), so a long
/// drain counts as alive batch by batch, not only when its cycle ends.</para>
/// <para><b>Nothing outside the store call stops it.</b> Counting and logging each outcome is guarded, and the write loop
/// survives any exception, so a throwing logging provider or metrics listener cannot wedge it.</para>
/// </remarks>
internal sealed partial class OutcomeWriter
{
    /// <summary>The wait before the first retry of a failed write.</summary>
    internal static readonly TimeSpan FirstRetryDelay = TimeSpan.FromMilliseconds(50);

    /// <summary>The longest wait between retries of a failed write.</summary>
    internal static readonly TimeSpan MaxRetryDelay = TimeSpan.FromSeconds(2);

    /// <summary>Failed attempts of a whole batch before its outcomes are written one by one.</summary>
    internal const int SplitAfterFailures = 3;

    /// <summary>Passes over the outcomes still refused, once others of the batch have landed, before they are dropped.</summary>
    internal const int SeparatePasses = 3;

    /// <summary>The longest wait, from the first outcome queued, before it is written with whatever came meanwhile.</summary>
    internal static readonly TimeSpan Linger = TimeSpan.FromMilliseconds(10);

    /// <summary>The outcomes that end a linger at once: one write carries at most about this many.</summary>
    internal const int MaxOutcomesPerWrite = 1000;

    /// <summary>No linger when a lease of the waiting outcomes ends sooner than this.</summary>
    internal static readonly TimeSpan LingerLeaseGuard = TimeSpan.FromSeconds(1);

    private readonly IOutboxStore _store;
    private readonly OutboxMetrics _metrics;
    private readonly DeadLetterNotifier _deadLetters;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly CancellationToken _hostStopping;
    private readonly OutboxDispatcherHeartbeat? _heartbeat;
    private readonly TimeSpan _linger;
    private readonly object _gate = new();
    private List<OutboxOutcome> _outcomes = [];
    private List<PendingInfo> _infos = [];
    private List<OutboxOutcome> _spareOutcomes = [];
    private List<PendingInfo> _spareInfos = [];
    private bool _writing;
    private bool _flush;
    private TaskCompletionSource? _lingering;
    private DateTimeOffset _earliestLease = DateTimeOffset.MaxValue;
    private Func<bool>? _workQueued;
    private Task _running = Task.CompletedTask;
    private volatile Exception? _error;

    /// <param name="store">The store the outcomes go to.</param>
    /// <param name="metrics">Counts stored outcomes.</param>
    /// <param name="deadLetters">Runs the dead-letter handlers.</param>
    /// <param name="time">The clock (retry waits and the linger).</param>
    /// <param name="logger">The engine's logger.</param>
    /// <param name="hostStopping">Given to dead-letter handlers.</param>
    /// <param name="heartbeat">Beaten after each write that lands; <see langword="null"/> outside the hosted dispatcher.</param>
    /// <param name="linger">The linger before a write (<see cref="Linger"/> when not given; zero writes at once).</param>
    public OutcomeWriter(
        IOutboxStore store,
        OutboxMetrics metrics,
        DeadLetterNotifier deadLetters,
        TimeProvider time,
        ILogger logger,
        CancellationToken hostStopping,
        OutboxDispatcherHeartbeat? heartbeat = null,
        TimeSpan? linger = null)
    {
        _heartbeat = heartbeat;
        _linger = linger ?? Linger;
        _store = store;
        _metrics = metrics;
        _deadLetters = deadLetters;
        _time = time;
        _logger = logger;
        _hostStopping = hostStopping;
    }

    /// <summary>The error of a write that could not land while its leases were valid, if any (the database is down).</summary>
    public Exception? Error => _error;

    /// <summary>Queues an outcome for the next write and starts the write loop if it is idle.</summary>
    /// <param name="attempt">The outcome and its telemetry names.</param>
    /// <param name="message">The claimed record the outcome belongs to.</param>
    /// <param name="leaseUntil">When the record's lease ends: retries of its write stop there.</param>
    public void Add(in AttemptClassification attempt, OutboxMessage message, DateTimeOffset leaseUntil)
    {
        lock (_gate)
        {
            _outcomes.Add(attempt.Outcome);
            _infos.Add(new PendingInfo(message, attempt.ErrorType, leaseUntil));
            if (leaseUntil < _earliestLease)
            {
                _earliestLease = leaseUntil;
            }

            if (_lingering is { } lingering && (_outcomes.Count >= MaxOutcomesPerWrite || _time.GetUtcNow() + LingerLeaseGuard >= _earliestLease))
            {
                _lingering = null;
                lingering.TrySetResult();
            }

            if (!_writing)
            {
                _writing = true;
                _running = Task.Run(WriteLoopAsync);
            }
        }
    }

    /// <summary>Tells the writer whether records are still waiting to start or may still be claimed: it lingers only
    /// while so (otherwise no outcome but those of calls in flight can come, and it writes at once).</summary>
    /// <param name="workQueued">Asked under the writer's lock; must be cheap and never throw.</param>
    public void LingerWhile(Func<bool> workQueued) => _workQueued = workQueued;

    /// <summary>The last record waiting to start was taken, or the last claim ended: ends a linger in progress when
    /// no record waits to start any more (see <see cref="LingerWhile"/>).</summary>
    public void QueueEmptied()
    {
        lock (_gate)
        {
            if (_lingering is { } lingering && _workQueued?.Invoke() == false)
            {
                _lingering = null;
                lingering.TrySetResult();
            }
        }
    }

    /// <summary>
    /// Ends any linger (the rest is written at once, and so is whatever is added later) and returns a task that
    /// completes when every queued outcome has been written (or dropped). It never faults.
    /// </summary>
    /// <returns>The task.</returns>
    public Task WhenIdleAsync()
    {
        lock (_gate)
        {
            _flush = true;
            if (_lingering is { } lingering)
            {
                _lingering = null;
                lingering.TrySetResult();
            }

            return _writing ? _running : Task.CompletedTask;
        }
    }

    private async Task WriteLoopAsync()
    {
        bool lingered = false;
        while (true)
        {
            List<OutboxOutcome> outcomes;
            List<PendingInfo> infos;
            Task? linger = null;
            lock (_gate)
            {
                if (_outcomes.Count == 0)
                {
                    _writing = false;
                    return;
                }

                if (!lingered && ShouldLinger(_outcomes.Count, _flush || _workQueued?.Invoke() == false, _linger, _time.GetUtcNow(), _earliestLease))
                {
                    _lingering = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                    linger = _lingering.Task;
                    outcomes = null!;
                    infos = null!;
                }
                else
                {
                    outcomes = _outcomes;
                    infos = _infos;
                    _outcomes = _spareOutcomes;
                    _infos = _spareInfos;
                    _earliestLease = DateTimeOffset.MaxValue;
                }
            }

            if (linger is not null)
            {
                lingered = true;
                await LingerAsync(linger).ConfigureAwait(false);
                continue;
            }

            lingered = false;

            try
            {
                await WriteAsync(outcomes, infos).ConfigureAwait(false);
            }
            catch (Exception ex)
            {
                // Never leave the loop: outcomes added meanwhile must still be written.
                Guarded(static s => s.Writer.LogWriterFault(s.Error), (Writer: this, Error: ex));
            }
            finally
            {
                outcomes.Clear();
                infos.Clear();
                lock (_gate)
                {
                    _spareOutcomes = outcomes;
                    _spareInfos = infos;
                }
            }
        }
    }

    /// <summary>Whether the writer waits for more outcomes before writing those queued (a pure rule).</summary>
    /// <param name="queued">Outcomes waiting.</param>
    /// <param name="flush">The cycle asked for the rest, or no record is waiting to start.</param>
    /// <param name="linger">The configured linger.</param>
    /// <param name="now">The time now.</param>
    /// <param name="earliestLease">The earliest lease end among the outcomes waiting.</param>
    /// <returns><see langword="true"/> to linger.</returns>
    internal static bool ShouldLinger(int queued, bool flush, TimeSpan linger, DateTimeOffset now, DateTimeOffset earliestLease)
        => !flush && linger > TimeSpan.Zero && queued < MaxOutcomesPerWrite && now + LingerLeaseGuard < earliestLease;

    /// <summary>Waits for the linger to pass or to be ended (enough outcomes, a close lease, the cycle's end).</summary>
    private async Task LingerAsync(Task ended)
    {
        using var timer = new CancellationTokenSource(_linger, _time);
        try
        {
            await ended.WaitAsync(timer.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            // the linger passed
        }

        lock (_gate)
        {
            _lingering = null;
        }
    }

    private async Task WriteAsync(List<OutboxOutcome> outcomes, List<PendingInfo> infos)
    {
        DateTimeOffset deadline = EarliestLeaseEnd(infos);
        TimeSpan delay = FirstRetryDelay;
        for (int failures = 1; ; failures++)
        {
            try
            {
                // Not cancellable: an outcome that is not written means the record is delivered again.
                IReadOnlyCollection<Guid> rejected = await _store.CompleteAsync(outcomes, CancellationToken.None).ConfigureAwait(false);
                _heartbeat?.BatchWritten();
                Report(outcomes, infos, rejected);
                return;
            }
            catch (Exception ex)
            {
                if (failures >= SplitAfterFailures && outcomes.Count > 1)
                {
                    Guarded(static s => s.Writer.LogWritingSeparately(s.Error, s.Count, s.Failures), (Writer: this, Error: ex, outcomes.Count, Failures: failures));
                    await WriteSeparatelyAsync(outcomes, infos, deadline, delay).ConfigureAwait(false);
                    return;
                }

                if (!await WaitBeforeRetryAsync(delay, deadline).ConfigureAwait(false))
                {
                    _error ??= ex;
                    Guarded(static s => s.Writer.LogWriteFailed(s.Error, s.Count), (Writer: this, Error: ex, outcomes.Count));
                    return;
                }

                Guarded(static s => s.Writer.LogWriteRetried(s.Error, s.Count, s.Failures, s.Delay), (Writer: this, Error: ex, outcomes.Count, Failures: failures, Delay: delay));
                delay = Next(delay);
            }
        }
    }

    /// <summary>Writes each outcome alone, in passes, until each has landed or is given up.</summary>
    private async Task WriteSeparatelyAsync(List<OutboxOutcome> outcomes, List<PendingInfo> infos, DateTimeOffset deadline, TimeSpan delay)
    {
        var single = new List<OutboxOutcome>(1) { default };
        var singleInfo = new List<PendingInfo>(1) { default };
        var pending = new List<int>(outcomes.Count);
        for (int i = 0; i < outcomes.Count; i++)
        {
            pending.Add(i);
        }

        bool anyLanded = false;
        Exception? last = null;
        for (int pass = 1; ; pass++)
        {
            var refused = new List<int>();
            foreach (int i in pending)
            {
                single[0] = outcomes[i];
                singleInfo[0] = infos[i];
                try
                {
                    IReadOnlyCollection<Guid> rejected = await _store.CompleteAsync(single, CancellationToken.None).ConfigureAwait(false);
                    anyLanded = true;
                    _heartbeat?.BatchWritten();
                    Report(single, singleInfo, rejected);
                }
                catch (Exception ex)
                {
                    last = ex;
                    refused.Add(i);
                }
            }

            pending = refused;
            if (pending.Count == 0)
            {
                return;
            }

            // Others landed but these keep failing: they are the bad ones. Nothing landed: the database is down, so
            // keep trying while the leases last.
            if ((anyLanded && pass >= SeparatePasses) || !await WaitBeforeRetryAsync(delay, deadline).ConfigureAwait(false))
            {
                if (!anyLanded)
                {
                    _error ??= last;
                    Guarded(static s => s.Writer.LogWriteFailed(s.Error, s.Count), (Writer: this, Error: last!, pending.Count));
                    return;
                }

                foreach (int i in pending)
                {
                    OutboxOutcome lost = outcomes[i];
                    Guarded(static s => s.Writer.LogOutcomeLost(s.Error, s.Lost.Id, OutboxStatusText.ToText(s.Lost.Status)), (Writer: this, Error: last!, Lost: lost));
                }

                return;
            }

            delay = Next(delay);
        }
    }

    private async Task<bool> WaitBeforeRetryAsync(TimeSpan delay, DateTimeOffset deadline)
    {
        if (_time.GetUtcNow() + delay >= deadline)
        {
            return false;
        }

        await Task.Delay(delay, _time).ConfigureAwait(false);
        return true;
    }

    private static TimeSpan Next(TimeSpan delay)
    {
        TimeSpan doubled = delay + delay;
        return doubled > MaxRetryDelay ? MaxRetryDelay : doubled;
    }

    private static DateTimeOffset EarliestLeaseEnd(List<PendingInfo> infos)
    {
        DateTimeOffset earliest = DateTimeOffset.MaxValue;
        foreach (PendingInfo info in infos)
        {
            if (info.LeaseUntil < earliest)
            {
                earliest = info.LeaseUntil;
            }
        }

        return earliest;
    }

    /// <summary>Counts and logs stored outcomes; each one guarded, so a throwing listener or logger skips only its own report.</summary>
    private void Report(List<OutboxOutcome> outcomes, List<PendingInfo> infos, IReadOnlyCollection<Guid> rejected)
    {
        HashSet<Guid>? rejectedSet = null;
        if (rejected.Count > 0)
        {
            rejectedSet = new HashSet<Guid>(rejected);
            try
            {
                _metrics.Rejected(rejectedSet.Count);
            }
            catch (Exception ex)
            {
                Guarded(static s => s.Writer.LogReportFailed(s.Error), (Writer: this, Error: ex));
            }
        }

        for (int i = 0; i < outcomes.Count; i++)
        {
            try
            {
                ReportOne(outcomes[i], infos[i], rejectedSet);
            }
            catch (Exception ex)
            {
                Guarded(static s => s.Writer.LogReportFailed(s.Error), (Writer: this, Error: ex));
            }
        }
    }

    private void ReportOne(in OutboxOutcome outcome, in PendingInfo info, HashSet<Guid>? rejectedSet)
    {
        OutboxMessage message = info.Message;
        if (rejectedSet is not null && rejectedSet.Contains(outcome.Id))
        {
            LogRejected(outcome.Id, outcome.LeaseOwner, OutboxStatusText.ToText(outcome.Status));
            return;
        }

        switch (outcome.Status)
        {
            case OutboxStatus.Sent:
                _metrics.Sent(message.MessageType, outcome.CompletedAt - message.CreatedAt);
                LogSent(outcome.Id, message.MessageType);
                break;
            case OutboxStatus.Failed:
                _metrics.Failed(message.MessageType, info.ErrorType);
                LogFailed(outcome.Id, message.MessageType, outcome.RetryCount, outcome.NextAttemptAt, outcome.LastError);
                break;
            case OutboxStatus.DeadLetter:
                if (_deadLetters.HasHandlers)
                {
                    _deadLetters.Enqueue(DeadLetterNotifier.ToDeadLetter(message, outcome), _hostStopping);
                }

                _metrics.DeadLettered(message.MessageType, info.ErrorType);
                LogDeadLettered(outcome.Id, message.MessageType, outcome.RetryCount, outcome.LastError);
                break;
            default:
                break;
        }
    }

    /// <summary>Runs a logging call that must not throw into the writer (the logging provider itself may be what fails).</summary>
    /// <remarks>The lambdas are static and the state a value tuple, so the success path allocates no closure.</remarks>
    private static void Guarded<TState>(Action<TState> log, TState state)
    {
        try
        {
            log(state);
        }
        catch (Exception)
        {
            // Nothing left to report to: the logger is what failed.
        }
    }

    private readonly record struct PendingInfo(OutboxMessage Message, string ErrorType, DateTimeOffset LeaseUntil);
}
