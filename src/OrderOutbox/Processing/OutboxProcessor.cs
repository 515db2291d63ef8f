using System.Diagnostics;
using System.Globalization;
using System.Runtime.CompilerServices;
using System.Runtime.ExceptionServices;
using System.Security.Cryptography;
using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using OrderOutbox.Diagnostics;
using OrderOutbox.Hosting;
using OrderOutbox.Internal;

namespace OrderOutbox.Processing;

/// <summary>
/// The dispatch engine: claims due records, dispatches them <see cref="OutboxOptions.MaxConcurrency"/> at a time and
/// records the outcomes in batches. Used by <see cref="IOutboxProcessor.ProcessOnceAsync"/> and by the hosted dispatcher.
/// </summary>
/// <remarks>
/// A cycle is a pipeline of three parts that never wait for each other's slowest element:
/// <list type="bullet">
/// <item><b>claimers</b> lease a batch, then the next as soon as at most <c>K</c> batches are left unstarted, where
/// <c>K = ceil(MaxConcurrency / BatchSize)</c> (1 to 8) claimers run at once — so small batches still keep many
/// concurrency slots fed; with <c>K = 1</c> (the default settings) at most
/// about two batches are claimed but not started), until a claim comes back short (drained) or
/// <see cref="OutboxOptions.OneBatchPerCycle"/>;</item>
/// <item><see cref="OutboxOptions.MaxConcurrency"/> <b>workers</b> each take the next record as soon as their call
/// ends, so every slot stays busy, each call bounded by <see cref="OutboxOptions.DispatchTimeout"/>;</item>
/// <item>one <b>outcome flusher</b> writes every outcome gathered while the previous write ran, in one
/// <see cref="IOutboxStore.CompleteAsync"/> call.</item>
/// </list>
/// </remarks>
internal sealed partial class OutboxProcessor : IOutboxProcessor
{
    /// <summary>The most claims one cycle runs at once (when <see cref="OutboxOptions.BatchSize"/> is smaller than
    /// <see cref="OutboxOptions.MaxConcurrency"/>).</summary>
    internal const int MaxClaimers = 8;

    /// <summary>The longest <c>last_error</c> written.</summary>
    public const int MaxErrorLength = 2000;

    private readonly IOutboxStore _store;
    private readonly IDispatcher _dispatcher;
    private readonly IBackoffPolicy _backoff;
    private readonly IDeadLetterHandler[] _deadLetterHandlers;
    private readonly TimeProvider _timeProvider;
    private readonly OutboxWakeUp _wakeUp;
    private readonly OutboxMetrics _metrics;
    private readonly ILogger _logger;
    private readonly OutboxOptions _options;
    private readonly string _timeoutText;
    private long _claimSequence;

    public OutboxProcessor(
        IOutboxStore store,
        IDispatcher dispatcher,
        IBackoffPolicy backoff,
        IEnumerable<IDeadLetterHandler> deadLetterHandlers,
        IOptions<OutboxOptions> options,
        TimeProvider timeProvider,
        OutboxWakeUp wakeUp,
        OutboxMetrics metrics,
        ILogger<OutboxProcessor> logger)
    {
        _store = store;
        _dispatcher = dispatcher;
        _backoff = backoff;
        _deadLetterHandlers = deadLetterHandlers.ToArray();
        _options = options.Value;
        _timeProvider = timeProvider;
        _wakeUp = wakeUp;
        _metrics = metrics;
        _logger = logger;
        InstanceId = string.IsNullOrWhiteSpace(_options.InstanceId) ? CreateInstanceId() : _options.InstanceId;
        _timeoutText = "Timeout after " + OutboxText.FormatDuration(_options.DispatchTimeout);
    }

    /// <summary>The name of this instance, the first part of every lease token.</summary>
    public string InstanceId { get; }

    /// <inheritdoc />
    public Task<int> ProcessOnceAsync(CancellationToken cancellationToken = default)
        => RunCycleAsync(cancellationToken, CancellationToken.None);

    /// <summary>Runs one cycle.</summary>
    /// <param name="stopClaiming">Stops claiming and starting calls; unstarted records are released.</param>
    /// <param name="abortInFlight">Cancels calls in flight (the host's shutdown timeout); their records are released.</param>
    /// <returns>The number of records attempted.</returns>
    internal async Task<int> RunCycleAsync(CancellationToken stopClaiming, CancellationToken abortInFlight)
    {
        _wakeUp.Reset();
        using var cycle = new Cycle(this, stopClaiming, abortInFlight);
        return await cycle.RunAsync().ConfigureAwait(false);
    }

    /// <summary>Returns the next lease token: <c>{instanceId}/{sequence}</c>, unique per claim.</summary>
    internal string NextLeaseToken()
        => string.Create(CultureInfo.InvariantCulture, $"{InstanceId}/{Interlocked.Increment(ref _claimSequence)}");

    private static string CreateInstanceId()
    {
        string machine = Environment.MachineName;
        if (machine.Length > 60)
        {
            machine = machine[..60];
        }

        Span<byte> random = stackalloc byte[4];
        RandomNumberGenerator.Fill(random);
        return string.Create(CultureInfo.InvariantCulture, $"{machine}-{Environment.ProcessId}-{Convert.ToHexString(random).ToLowerInvariant()}");
    }

    /// <summary>The state of one cycle.</summary>
    private sealed class Cycle : IDisposable
    {
        private readonly OutboxProcessor _owner;
        private readonly CancellationToken _stopClaiming;
        private readonly CancellationToken _abortInFlight;
        private readonly int _batchSize;
        private readonly Channel<OutboxMessage> _queue = Channel.CreateUnbounded<OutboxMessage>(
            new UnboundedChannelOptions { SingleWriter = false, SingleReader = false, AllowSynchronousContinuations = false });
        private readonly SemaphoreSlim _room = new(0);
        private readonly OutcomeFlusher _flusher;
        private readonly object _releaseGate = new();
        private List<OutboxMessage>? _release;
        private readonly int _claimers;
        private readonly int _refillBelow;
        private int _notStarted;
        private int _waitingClaimers;
        private int _runningClaimers;
        private int _attempted;
        private Exception? _claimError;

        public Cycle(OutboxProcessor owner, CancellationToken stopClaiming, CancellationToken abortInFlight)
        {
            _owner = owner;
            _stopClaiming = stopClaiming;
            _abortInFlight = abortInFlight;
            _batchSize = owner._options.BatchSize;
            _claimers = owner._options.OneBatchPerCycle
                ? 1
                : Math.Clamp((owner._options.MaxConcurrency + _batchSize - 1) / _batchSize, 1, MaxClaimers);
            _refillBelow = _claimers * _batchSize;
            _runningClaimers = _claimers;
            _flusher = new OutcomeFlusher(owner, abortInFlight);
        }

        public void Dispose() => _room.Dispose();

        public async Task<int> RunAsync()
        {
            int concurrency = _owner._options.MaxConcurrency;
            var workers = new Task[concurrency + _claimers];
            for (int i = 0; i < _claimers; i++)
            {
                workers[concurrency + i] = ClaimLoopAsync();
            }

            for (int i = 0; i < concurrency; i++)
            {
                workers[i] = WorkerAsync();
            }

            await Task.WhenAll(workers).ConfigureAwait(false);

            while (_queue.Reader.TryRead(out OutboxMessage? left))
            {
                AddRelease(left);
            }

            if (_release is { Count: > 0 } release)
            {
                try
                {
                    await _owner._store.ReleaseAsync(release, CancellationToken.None).ConfigureAwait(false);
                    _owner.LogReleased(release.Count);
                }
                catch (Exception ex)
                {
                    _owner.LogReleaseFailed(ex, release.Count);
                }
            }

            await _flusher.WhenIdleAsync().ConfigureAwait(false);

            if ((_claimError ?? _flusher.Error) is { } error)
            {
                ExceptionDispatchInfo.Throw(error);
            }

            _owner.LogCycleCompleted(_attempted);
            return _attempted;
        }

        private async Task ClaimLoopAsync()
        {
            OutboxProcessor owner = _owner;
            try
            {
                while (!_stopClaiming.IsCancellationRequested && _flusher.Error is null)
                {
                    while (Volatile.Read(ref _notStarted) > _refillBelow)
                    {
                        Interlocked.Increment(ref _waitingClaimers);
                        try
                        {
                            await _room.WaitAsync(_stopClaiming).ConfigureAwait(false);
                        }
                        finally
                        {
                            Interlocked.Decrement(ref _waitingClaimers);
                        }
                    }

                    if (_stopClaiming.IsCancellationRequested || _flusher.Error is not null)
                    {
                        break;
                    }

                    DateTimeOffset now = owner._timeProvider.GetUtcNow();
                    string token = owner.NextLeaseToken();
                    IReadOnlyList<OutboxMessage> batch = await owner._store
                        .ClaimAsync(_batchSize, token, now, now + owner._options.LeaseDuration, _abortInFlight)
                        .ConfigureAwait(false);

                    int count = batch.Count;
                    if (count > 0)
                    {
                        Interlocked.Add(ref _notStarted, count);
                        ChannelWriter<OutboxMessage> writer = _queue.Writer;
                        for (int i = 0; i < count; i++)
                        {
                            writer.TryWrite(batch[i]);
                        }
                    }

                    if (count < _batchSize || owner._options.OneBatchPerCycle)
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
                }
            }
        }

        private async Task WorkerAsync()
        {
            ChannelReader<OutboxMessage> reader = _queue.Reader;
            using var timeout = new TimeoutSource(_owner._timeProvider, _abortInFlight);
            while (true)
            {
                if (!reader.TryRead(out OutboxMessage? message))
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

                if (_stopClaiming.IsCancellationRequested)
                {
                    AddRelease(message);
                    return;
                }

                // Wake a waiting claimer whenever the queue is at or below the refill mark (a claimer re-checks, so a
                // spare release is harmless; waking only at an exact crossing could strand a second claimer).
                if (Interlocked.Decrement(ref _notStarted) <= _refillBelow && Volatile.Read(ref _waitingClaimers) > 0)
                {
                    _room.Release();
                }

                try
                {
                    await DispatchOneAsync(message, timeout).ConfigureAwait(false);
                }
                catch (Exception ex)
                {
                    // Nothing recorded: the lease expires and the record is attempted again (at-least-once).
                    _owner.LogDispatchCrashed(ex, message.Id);
                }
            }
        }

        [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
        private async ValueTask DispatchOneAsync(OutboxMessage message, TimeoutSource timeout)
        {
            OutboxProcessor owner = _owner;
            TimeProvider time = owner._timeProvider;
            DateTimeOffset attemptedAt = time.GetUtcNow();
            long started = time.GetTimestamp();
            using Activity? activity = OutboxActivitySource.StartDispatch(message);

            DispatchResult result;
            string errorType;
            CancellationToken token = timeout.Start(owner._options.DispatchTimeout);
            try
            {
                result = await owner._dispatcher.DispatchAsync(message, token).ConfigureAwait(false);
                errorType = result.Kind == DispatchResultKind.PermanentFailure ? "permanent" : "transient";
            }
            catch (OperationCanceledException) when (_abortInFlight.IsCancellationRequested)
            {
                // The host's shutdown timeout cut the call: the outcome is unknown, so the record is released.
                activity?.SetStatus(ActivityStatusCode.Error, "Cancelled at shutdown");
                AddRelease(message);
                return;
            }
            catch (OperationCanceledException) when (token.IsCancellationRequested)
            {
                result = DispatchResult.Transient(owner._timeoutText);
                errorType = "timeout";
            }
            catch (Exception ex)
            {
                result = DispatchResult.Transient(ex.GetType().Name + ": " + ex.Message);
                errorType = ex.GetType().FullName ?? ex.GetType().Name;
            }
            finally
            {
                timeout.Stop();
            }

            DateTimeOffset completedAt = time.GetUtcNow();
            Interlocked.Increment(ref _attempted);
            OutboxOutcome outcome;
            string resultName;
            if (result.Kind == DispatchResultKind.Success)
            {
                resultName = "success";
                errorType = string.Empty;
                outcome = new OutboxOutcome(message.Id, message.LeaseOwner ?? string.Empty, OutboxStatus.Sent, message.RetryCount, attemptedAt, completedAt, null, null);
            }
            else
            {
                int failed = message.RetryCount + 1;
                string error = OutboxText.Storable(result.Error, MaxErrorLength);
                if (result.Kind == DispatchResultKind.TransientFailure && owner._backoff.TryGetRetryDelay(failed, out TimeSpan delay))
                {
                    resultName = "transient";
                    if (result.RetryAfter is { } retryAfter && retryAfter > delay)
                    {
                        delay = retryAfter;
                    }

                    outcome = new OutboxOutcome(message.Id, message.LeaseOwner ?? string.Empty, OutboxStatus.Failed, failed, attemptedAt, completedAt, completedAt + delay, error);
                }
                else
                {
                    if (result.Kind == DispatchResultKind.TransientFailure)
                    {
                        resultName = "transient";
                        errorType = "retries_exhausted";
                    }
                    else
                    {
                        resultName = "permanent";
                    }

                    outcome = new OutboxOutcome(message.Id, message.LeaseOwner ?? string.Empty, OutboxStatus.DeadLetter, failed, attemptedAt, completedAt, null, error);
                }

                activity?.SetStatus(ActivityStatusCode.Error, error);
            }

            owner._metrics.DispatchDuration(message.MessageType, resultName, time.GetElapsedTime(started));
            _flusher.Add(outcome, message, errorType);
        }

        private void AddRelease(OutboxMessage message)
        {
            lock (_releaseGate)
            {
                (_release ??= []).Add(message);
            }
        }
    }

    /// <summary>
    /// A per-worker timeout token source, reset between calls instead of allocated per call. It is created with the
    /// engine's <see cref="TimeProvider"/> (so a fake clock drives timeouts) and is cancelled by the host's abort token.
    /// </summary>
    private sealed class TimeoutSource : IDisposable
    {
        private readonly TimeProvider _timeProvider;
        private readonly CancellationToken _abort;
        private CancellationTokenSource _cts;
        private CancellationTokenRegistration _registration;

        public TimeoutSource(TimeProvider timeProvider, CancellationToken abort)
        {
            _timeProvider = timeProvider;
            _abort = abort;
            (_cts, _registration) = Create();
        }

        public CancellationToken Start(TimeSpan timeout)
        {
            _cts.CancelAfter(timeout);
            return _cts.Token;
        }

        public void Stop()
        {
            if (!_cts.TryReset())
            {
                _registration.Dispose();
                _cts.Dispose();
                (_cts, _registration) = Create();
            }
        }

        public void Dispose()
        {
            _registration.Dispose();
            _cts.Dispose();
        }

        private (CancellationTokenSource Source, CancellationTokenRegistration Registration) Create()
        {
            var cts = new CancellationTokenSource(Timeout.InfiniteTimeSpan, _timeProvider);
            CancellationTokenRegistration registration = _abort.CanBeCanceled
                ? _abort.UnsafeRegister(static s => ((CancellationTokenSource)s!).Cancel(), cts)
                : default;
            return (cts, registration);
        }
    }
}
