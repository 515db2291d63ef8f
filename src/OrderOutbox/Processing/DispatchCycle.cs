using System.Runtime.ExceptionServices;
using System.Threading.Channels;
using Microsoft.Extensions.Logging;

namespace OrderOutbox.Processing;

/// <summary>
/// One dispatch cycle: claimers lease batches into a queue, <see cref="OutboxOptions.MaxConcurrency"/> workers take
/// records from it one at a time and run them through the <see cref="AttemptExecutor"/>, and the verdicts go to the
/// cycle's <see cref="OutcomeWriter"/>. At the end, records claimed but not attempted are released.
/// </summary>
/// <remarks>
/// <para><b>Claimers.</b> <c>K = ceil(MaxConcurrency / BatchSize)</c> (1 to <see cref="MaxClaimers"/>) claimers run
/// at once, so small batches still keep many concurrency slots fed. A claimer leases the next batch as soon as at most
/// <c>K × BatchSize</c> records are left unstarted and the cycle holds fewer claimed-but-unfinished records than
/// <see cref="LeaseBudget.MaxOutstanding"/> (a claim is cut to what fits), until a claim comes back short of what it
/// asked for (drained) or <see cref="OutboxOptions.OneBatchPerCycle"/>.</para>
/// <para><b>Workers</b> each take the next record as soon as their call ends, so every slot stays busy and no batch
/// waits for its slowest call. A record whose lease no longer covers a whole call and its outcome write
/// (<see cref="LeaseBudget.StartMargin"/>) is released instead of started.</para>
/// </remarks>
internal sealed partial class DispatchCycle : IDisposable
{
    /// <summary>The most claims one cycle runs at once (when <see cref="OutboxOptions.BatchSize"/> is smaller than
    /// <see cref="OutboxOptions.MaxConcurrency"/>).</summary>
    internal const int MaxClaimers = 8;

    private readonly IOutboxStore _store;
    private readonly AttemptExecutor _executor;
    private readonly OutcomeWriter _writer;
    private readonly LeaseTokens _tokens;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly CancellationToken _stopClaiming;
    private readonly CancellationToken _abortInFlight;
    private readonly int _batchSize;
    private readonly int _concurrency;
    private readonly bool _oneBatch;
    private readonly TimeSpan _leaseDuration;
    private readonly TimeSpan _startMargin;
    private readonly int _maxOutstanding;
    private readonly int _minClaim;
    private readonly Storage.ClaimOrdering _ordering;
    private readonly EndpointCircuits? _circuits;
    private readonly Channel<ClaimedRecord> _queue = Channel.CreateUnbounded<ClaimedRecord>(
        new UnboundedChannelOptions { SingleWriter = false, SingleReader = false, AllowSynchronousContinuations = false });
    private readonly SemaphoreSlim _room = new(0);
    private readonly object _releaseGate = new();
    private List<OutboxMessage>? _release;
    private readonly int _claimers;
    private readonly int _refillBelow;
    private int _notStarted;
    private int _outstanding;
    private int _waitingClaimers;
    private int _runningClaimers;
    private int _attempted;
    private Exception? _claimError;

    public DispatchCycle(
        IOutboxStore store,
        AttemptExecutor executor,
        OutcomeWriter writer,
        LeaseTokens tokens,
        OutboxOptions options,
        TimeProvider time,
        ILogger logger,
        CancellationToken stopClaiming,
        CancellationToken abortInFlight,
        EndpointCircuits? circuits = null)
    {
        _circuits = circuits;
        _store = store;
        _executor = executor;
        _writer = writer;
        _tokens = tokens;
        _time = time;
        _logger = logger;
        _stopClaiming = stopClaiming;
        _abortInFlight = abortInFlight;
        _batchSize = options.BatchSize;
        _concurrency = options.MaxConcurrency;
        _oneBatch = options.OneBatchPerCycle;
        _leaseDuration = options.LeaseDuration;
        _startMargin = LeaseBudget.StartMargin(options.DispatchTimeout);
        _maxOutstanding = LeaseBudget.MaxOutstanding(options);
        _minClaim = Math.Min(_batchSize, Math.Max(1, _maxOutstanding / 2));
        _ordering = ClaimOrderingOf(options);
        _claimers = ClaimerCount(options);
        _refillBelow = _claimers * _batchSize;
        _runningClaimers = _claimers;
        _writer.LingerWhile(() => Volatile.Read(ref _notStarted) > 0 || Volatile.Read(ref _runningClaimers) > 0);
    }

    /// <summary>How many claims a cycle runs at once: <c>ceil(MaxConcurrency / BatchSize)</c>, 1 to <see cref="MaxClaimers"/>
    /// (1 with <see cref="OutboxOptions.OneBatchPerCycle"/>).</summary>
    /// <param name="options">The engine's options.</param>
    /// <returns>The number of claimers.</returns>
    internal static int ClaimerCount(OutboxOptions options)
        => options.OneBatchPerCycle
            ? 1
            : Math.Clamp((options.MaxConcurrency + options.BatchSize - 1) / options.BatchSize, 1, MaxClaimers);

    /// <summary>The store's claim rule for <see cref="OutboxOptions.Ordering"/> and <see cref="OutboxOptions.AfterDeadLetter"/>.</summary>
    /// <param name="options">The engine's options.</param>
    /// <returns>The claim ordering.</returns>
    internal static Storage.ClaimOrdering ClaimOrderingOf(OutboxOptions options)
        => (options.Ordering, options.AfterDeadLetter) switch
        {
            (OutboxOrdering.PerAggregate, AggregateDeadLetterMode.Continue) => Storage.ClaimOrdering.PerAggregateContinueAfterDeadLetter,
            (OutboxOrdering.PerAggregate, _) => Storage.ClaimOrdering.PerAggregate,
            _ => Storage.ClaimOrdering.Unordered,
        };

    public void Dispose() => _room.Dispose();

    /// <summary>Runs the cycle to its end.</summary>
    /// <returns>The number of records attempted.</returns>
    public async Task<int> RunAsync()
    {
        var tasks = new Task[_concurrency + _claimers];
        for (int i = 0; i < _claimers; i++)
        {
            tasks[_concurrency + i] = ClaimLoopAsync();
        }

        for (int i = 0; i < _concurrency; i++)
        {
            tasks[i] = WorkerAsync();
        }

        await Task.WhenAll(tasks).ConfigureAwait(false);

        while (_queue.Reader.TryRead(out ClaimedRecord left))
        {
            AddRelease(left.Message);
        }

        if (_release is { Count: > 0 } release)
        {
            try
            {
                await _store.ReleaseAsync(release, CancellationToken.None).ConfigureAwait(false);
                LogReleased(release.Count);
            }
            catch (Exception ex)
            {
                LogReleaseFailed(ex, release.Count);
            }
        }

        await _writer.WhenIdleAsync().ConfigureAwait(false);

        if ((_claimError ?? _writer.Error) is { } error)
        {
            ExceptionDispatchInfo.Throw(error);
        }

        LogCycleCompleted(_attempted);
        return _attempted;
    }

    private async Task ClaimLoopAsync()
    {
        try
        {
            while (!_stopClaiming.IsCancellationRequested && _writer.Error is null)
            {
                int requested = await ReserveAsync().ConfigureAwait(false);
                if (requested == 0)
                {
                    break;
                }

                // Every endpoint's circuit open: claim nothing, or only the probe (and then stop).
                int limit = _circuits?.ClaimLimit() ?? int.MaxValue;
                bool probeOnly = limit < requested;
                if (probeOnly)
                {
                    Interlocked.Add(ref _outstanding, limit - requested);
                    requested = limit;
                    if (requested == 0)
                    {
                        break;
                    }
                }

                DateTimeOffset now = _time.GetUtcNow();
                DateTimeOffset leaseUntil = now + _leaseDuration;
                IReadOnlyList<OutboxMessage> batch;
                try
                {
                    batch = _ordering == Storage.ClaimOrdering.Unordered
                        ? await _store.ClaimAsync(requested, _tokens.Next(), now, leaseUntil, _abortInFlight).ConfigureAwait(false)
                        : await _store.ClaimAsync(requested, _tokens.Next(), now, leaseUntil, _ordering, _abortInFlight).ConfigureAwait(false);
                }
                catch
                {
                    Interlocked.Add(ref _outstanding, -requested);
                    throw;
                }

                int count = batch.Count;
                Interlocked.Add(ref _outstanding, count - requested);
                if (count > 0)
                {
                    Interlocked.Add(ref _notStarted, count);
                    ChannelWriter<ClaimedRecord> writer = _queue.Writer;
                    for (int i = 0; i < count; i++)
                    {
                        writer.TryWrite(new ClaimedRecord(batch[i], leaseUntil));
                    }
                }

                if (count < requested || _oneBatch || probeOnly)
                {
                    break;
                }
            }
        }
        catch (OperationCanceledException) when (_stopClaiming.IsCancellationRequested || _abortInFlight.IsCancellationRequested)
        {
            // a clean stop
        }
        catch (Exception ex)
        {
            Interlocked.CompareExchange(ref _claimError, ex, null);
        }
        finally
        {
            if (Interlocked.Decrement(ref _runningClaimers) == 0)
            {
                _queue.Writer.TryComplete();
                _writer.QueueEmptied();
            }
        }
    }

    /// <summary>
    /// Waits until there is room for a claim (few enough records unstarted, and the lease budget not spent), then
    /// reserves the claim's size. Returns 0 when the cycle stops claiming.
    /// </summary>
    private async Task<int> ReserveAsync()
    {
        while (!_stopClaiming.IsCancellationRequested && _writer.Error is null)
        {
            if (TryReserve(out int take))
            {
                return take;
            }

            Interlocked.Increment(ref _waitingClaimers);
            try
            {
                // Re-checked after announcing the wait: a worker that freed room in between either sees a waiting
                // claimer (and wakes it) or its change is seen here.
                if (TryReserve(out take))
                {
                    return take;
                }

                await _room.WaitAsync(_stopClaiming).ConfigureAwait(false);
            }
            finally
            {
                Interlocked.Decrement(ref _waitingClaimers);
            }
        }

        return 0;
    }

    private bool TryReserve(out int take)
    {
        while (true)
        {
            int outstanding = Volatile.Read(ref _outstanding);
            int room = _maxOutstanding - outstanding;
            if (Volatile.Read(ref _notStarted) > _refillBelow || room < _minClaim)
            {
                take = 0;
                return false;
            }

            take = Math.Min(_batchSize, room);
            if (Interlocked.CompareExchange(ref _outstanding, outstanding + take, outstanding) == outstanding)
            {
                return true;
            }
        }
    }

    /// <summary>A record's call ended (or it was set aside): its slot in the lease budget is free again.</summary>
    private void Finished()
    {
        Interlocked.Decrement(ref _outstanding);
        if (Volatile.Read(ref _waitingClaimers) > 0)
        {
            _room.Release();
        }
    }

    private async Task WorkerAsync()
    {
        ChannelReader<ClaimedRecord> reader = _queue.Reader;
        using var timeout = new TimeoutSource(_time, _abortInFlight);
        while (true)
        {
            if (!reader.TryRead(out ClaimedRecord claimed))
            {
                try
                {
                    if (!await reader.WaitToReadAsync(_stopClaiming).ConfigureAwait(false))
                    {
                        return;
                    }
                }
                catch (OperationCanceledException)
                {
                    return;
                }

                continue;
            }

            OutboxMessage message = claimed.Message;
            if (_stopClaiming.IsCancellationRequested)
            {
                AddRelease(message);
                return;
            }

            // Wake a waiting claimer whenever the queue is at or below the refill mark (a claimer re-checks, so a
            // spare release is harmless; waking only at an exact crossing could strand a second claimer).
            int notStarted = Interlocked.Decrement(ref _notStarted);
            if (notStarted <= _refillBelow && Volatile.Read(ref _waitingClaimers) > 0)
            {
                _room.Release();
            }

            if (notStarted == 0)
            {
                // If no claim is running either, only calls in flight can add outcomes: the writer stops lingering.
                _writer.QueueEmptied();
            }

            if (_time.GetUtcNow() + _startMargin > claimed.LeaseUntil)
            {
                // Too little lease left for a whole call and its outcome write: starting it could let this record be
                // claimed again while the call runs. Released instead; it is due again at once.
                AddRelease(message);
                LogLeaseTooShort(message.Id, claimed.LeaseUntil);
                Finished();
                continue;
            }

            string? endpoint = null;
            CircuitAdmission admission = CircuitAdmission.Attempt;
            if (_circuits is not null)
            {
                endpoint = _circuits.EndpointOf(message);
                admission = _circuits.Admit(endpoint);
                if (admission == CircuitAdmission.Hold)
                {
                    // The endpoint's circuit is open: not attempted, no retry spent; due again as it was.
                    AddRelease(message);
                    Finished();
                    continue;
                }
            }

            CircuitResult circuitResult = CircuitResult.Abandoned;
            try
            {
                AttemptClassification? verdict = await _executor.ExecuteAsync(message, timeout, _abortInFlight).ConfigureAwait(false);
                if (verdict is { } attempt)
                {
                    Interlocked.Increment(ref _attempted);
                    circuitResult = attempt.CircuitResult;
                    // A failed probe tells the endpoint is still down, nothing about the record: its retry is not spent,
                    // but its error is stored.
                    _writer.Add(
                        admission == CircuitAdmission.Probe && circuitResult == CircuitResult.EndpointFailure
                            ? AttemptClassifier.FailedProbe(message, attempt, endpoint!)
                            : attempt,
                        message,
                        claimed.LeaseUntil);
                }
                else
                {
                    AddRelease(message);
                }
            }
            catch (Exception ex)
            {
                // Nothing recorded: the lease expires and the record is attempted again (at-least-once).
                LogDispatchCrashed(ex, message.Id);
            }
            finally
            {
                if (endpoint is not null)
                {
                    _circuits!.Record(endpoint, circuitResult, admission == CircuitAdmission.Probe);
                }
            }

            Finished();
        }
    }

    /// <summary>A claimed record waiting in the queue, with the end of the lease it was claimed with.</summary>
    private readonly record struct ClaimedRecord(OutboxMessage Message, DateTimeOffset LeaseUntil);

    private void AddRelease(OutboxMessage message)
    {
        lock (_releaseGate)
        {
            (_release ??= []).Add(message);
        }
    }
}
