using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using OrderOutbox.Diagnostics;
using OrderOutbox.Hosting;

namespace OrderOutbox.Processing;

/// <summary>
/// The dispatch engine behind <see cref="IOutboxProcessor.ProcessOnceAsync"/> and the hosted dispatcher: a thin facade
/// that holds the engine's long-lived parts and runs one <see cref="DispatchCycle"/> per call.
/// </summary>
/// <remarks>
/// The parts, each tested alone: <see cref="DispatchCycle"/> (claimers and workers), <see cref="AttemptExecutor"/> (one
/// call with its timeout), <see cref="AttemptClassifier"/> (the pure verdict), <see cref="OutcomeWriter"/> (batched,
/// fenced outcome writes), <see cref="DeadLetterNotifier"/> (alerting hooks), <see cref="TimeoutSource"/> (the
/// per-worker timer) and <see cref="LeaseTokens"/> (claim tokens).
/// </remarks>
internal sealed class OutboxProcessor : IOutboxProcessor
{
    /// <summary>The longest <c>last_error</c> written.</summary>
    public const int MaxErrorLength = AttemptClassifier.MaxErrorLength;

    private readonly IOutboxStore _store;
    private readonly TimeProvider _timeProvider;
    private readonly OutboxWakeUp _wakeUp;
    private readonly OutboxMetrics _metrics;
    private readonly ILogger _logger;
    private readonly OutboxOptions _options;
    private readonly LeaseTokens _tokens;
    private readonly AttemptExecutor _executor;
    private readonly DeadLetterNotifier _deadLetters;
    private readonly EndpointCircuits? _circuits;
    private readonly OutboxDispatcherHeartbeat? _heartbeat;

    public OutboxProcessor(
        IOutboxStore store,
        IDispatcher dispatcher,
        IBackoffPolicy backoff,
        IEnumerable<IDeadLetterHandler> deadLetterHandlers,
        IOptions<OutboxOptions> options,
        TimeProvider timeProvider,
        OutboxWakeUp wakeUp,
        OutboxMetrics metrics,
        ILogger<OutboxProcessor> logger,
        IOutboxRouter? router = null,
        OutboxDispatcherHeartbeat? heartbeat = null)
    {
        _heartbeat = heartbeat;
        _store = store;
        _options = options.Value;
        _timeProvider = timeProvider;
        _wakeUp = wakeUp;
        _metrics = metrics;
        _logger = logger;
        _tokens = new LeaseTokens(_options.InstanceId);
        _executor = new AttemptExecutor(dispatcher, backoff, timeProvider, metrics, _options.DispatchTimeout);
        _deadLetters = new DeadLetterNotifier(deadLetterHandlers.ToArray(), _options.DeadLetterHandlerTimeout, timeProvider, logger);
        _circuits = _options.Circuit is { Enabled: true } circuit
            ? new EndpointCircuits(circuit, timeProvider, metrics.Meter, logger, EndpointCircuits.RouteOf(router))
            : null;
    }

    /// <summary>The outage circuits of this instance, or <see langword="null"/> when <see cref="CircuitOptions.Enabled"/> is off.</summary>
    internal EndpointCircuits? Circuits => _circuits;

    /// <summary>The name of this instance, the first part of every lease token.</summary>
    public string InstanceId => _tokens.InstanceId;

    /// <inheritdoc />
    public Task<int> ProcessOnceAsync(CancellationToken cancellationToken = default)
        => RunAsync(heartbeat: null, cancellationToken, CancellationToken.None);

    /// <summary>Runs one cycle of the hosted dispatcher: as <see cref="ProcessOnceAsync"/>, and each outcome write
    /// that lands beats the <see cref="OutboxDispatcherHeartbeat"/>, so a long drain stays healthy.</summary>
    /// <param name="stopClaiming">Stops claiming and starting calls; unstarted records are released.</param>
    /// <param name="abortInFlight">Cancels calls in flight (the host's shutdown timeout); their records are released.</param>
    /// <returns>The number of records attempted.</returns>
    internal Task<int> RunCycleAsync(CancellationToken stopClaiming, CancellationToken abortInFlight)
        => RunAsync(_heartbeat, stopClaiming, abortInFlight);

    private async Task<int> RunAsync(OutboxDispatcherHeartbeat? heartbeat, CancellationToken stopClaiming, CancellationToken abortInFlight)
    {
        _wakeUp.Reset();
        var writer = new OutcomeWriter(_store, _metrics, _deadLetters, _timeProvider, _logger, abortInFlight, heartbeat);
        using var cycle = new DispatchCycle(_store, _executor, writer, _tokens, _options, _timeProvider, _logger, stopClaiming, abortInFlight, _circuits);
        return await cycle.RunAsync().ConfigureAwait(false);
    }

    /// <summary>Returns the next lease token (see <see cref="LeaseTokens.Next"/>).</summary>
    internal string NextLeaseToken() => _tokens.Next();
}
