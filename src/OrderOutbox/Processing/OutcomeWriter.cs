using Microsoft.Extensions.Logging;
using OrderOutbox.Diagnostics;

namespace OrderOutbox.Processing;

/// <summary>
/// The single writer of a cycle's outcomes: whatever workers add while a write is running goes into the next write, so
/// outcomes reach the store in batches (one <see cref="IOutboxStore.CompleteAsync"/> per round trip) and the workers
/// never wait for the database. After each write it counts and logs the stored outcomes and hands dead letters to the
/// <see cref="DeadLetterNotifier"/>.
/// </summary>
internal sealed partial class OutcomeWriter
{
    private readonly IOutboxStore _store;
    private readonly OutboxMetrics _metrics;
    private readonly DeadLetterNotifier _deadLetters;
    private readonly ILogger _logger;
    private readonly CancellationToken _hostStopping;
    private readonly object _gate = new();
    private List<OutboxOutcome> _outcomes = [];
    private List<PendingInfo> _infos = [];
    private List<OutboxOutcome> _spareOutcomes = [];
    private List<PendingInfo> _spareInfos = [];
    private bool _writing;
    private Task _running = Task.CompletedTask;
    private volatile Exception? _error;

    public OutcomeWriter(IOutboxStore store, OutboxMetrics metrics, DeadLetterNotifier deadLetters, ILogger logger, CancellationToken hostStopping)
    {
        _store = store;
        _metrics = metrics;
        _deadLetters = deadLetters;
        _logger = logger;
        _hostStopping = hostStopping;
    }

    /// <summary>The first failed write of the cycle, if any.</summary>
    public Exception? Error => _error;

    /// <summary>Queues an outcome for the next write and starts the write loop if it is idle.</summary>
    /// <param name="attempt">The outcome and its telemetry names.</param>
    /// <param name="message">The claimed record the outcome belongs to.</param>
    public void Add(in AttemptClassification attempt, OutboxMessage message)
    {
        lock (_gate)
        {
            _outcomes.Add(attempt.Outcome);
            _infos.Add(new PendingInfo(message, attempt.ErrorType));
            if (!_writing)
            {
                _writing = true;
                _running = Task.Run(WriteLoopAsync);
            }
        }
    }

    /// <summary>Returns a task that completes when every queued outcome has been written (or its write failed).</summary>
    /// <returns>The task.</returns>
    public Task WhenIdleAsync()
    {
        lock (_gate)
        {
            return _writing ? _running : Task.CompletedTask;
        }
    }

    private async Task WriteLoopAsync()
    {
        while (true)
        {
            List<OutboxOutcome> outcomes;
            List<PendingInfo> infos;
            lock (_gate)
            {
                if (_outcomes.Count == 0)
                {
                    _writing = false;
                    return;
                }

                outcomes = _outcomes;
                infos = _infos;
                _outcomes = _spareOutcomes;
                _infos = _spareInfos;
            }

            try
            {
                await WriteAsync(outcomes, infos).ConfigureAwait(false);
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

    private async Task WriteAsync(List<OutboxOutcome> outcomes, List<PendingInfo> infos)
    {
        IReadOnlyCollection<Guid> rejected;
        try
        {
            // Not cancellable: an outcome that is not written means the record is delivered again.
            rejected = await _store.CompleteAsync(outcomes, CancellationToken.None).ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            _error ??= ex;
            LogWriteFailed(ex, outcomes.Count);
            return;
        }

        HashSet<Guid>? rejectedSet = null;
        if (rejected.Count > 0)
        {
            rejectedSet = new HashSet<Guid>(rejected);
            _metrics.Rejected(rejectedSet.Count);
        }

        List<OutboxMessage>? deadLetters = null;
        for (int i = 0; i < outcomes.Count; i++)
        {
            OutboxOutcome outcome = outcomes[i];
            OutboxMessage message = infos[i].Message;
            if (rejectedSet is not null && rejectedSet.Contains(outcome.Id))
            {
                LogRejected(outcome.Id, outcome.LeaseOwner, OutboxStatusText.ToText(outcome.Status));
                continue;
            }

            switch (outcome.Status)
            {
                case OutboxStatus.Sent:
                    _metrics.Sent(message.MessageType, outcome.CompletedAt - message.CreatedAt);
                    LogSent(outcome.Id, message.MessageType);
                    break;
                case OutboxStatus.Failed:
                    _metrics.Failed(message.MessageType, infos[i].ErrorType);
                    LogFailed(outcome.Id, message.MessageType, outcome.RetryCount, outcome.NextAttemptAt, outcome.LastError);
                    break;
                case OutboxStatus.DeadLetter:
                    _metrics.DeadLettered(message.MessageType, infos[i].ErrorType);
                    LogDeadLettered(outcome.Id, message.MessageType, outcome.RetryCount, outcome.LastError);
                    if (_deadLetters.HasHandlers)
                    {
                        (deadLetters ??= []).Add(DeadLetterNotifier.ToDeadLetter(message, outcome));
                    }

                    break;
                default:
                    break;
            }
        }

        if (deadLetters is not null)
        {
            await _deadLetters.NotifyAsync(deadLetters, _hostStopping).ConfigureAwait(false);
        }
    }

    private readonly record struct PendingInfo(OutboxMessage Message, string ErrorType);
}
