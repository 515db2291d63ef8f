namespace OrderOutbox.Processing;

internal sealed partial class OutboxProcessor
{
    /// <summary>
    /// The single writer of outcomes: whatever workers add while a write is running goes into the next write, so
    /// outcomes reach the store in batches (one <see cref="IOutboxStore.CompleteAsync"/> per round trip) and the
    /// workers never wait for the database.
    /// </summary>
    private sealed class OutcomeFlusher
    {
        private readonly OutboxProcessor _owner;
        private readonly CancellationToken _hostStopping;
        private readonly object _gate = new();
        private List<OutboxOutcome> _outcomes = [];
        private List<PendingInfo> _infos = [];
        private List<OutboxOutcome> _spareOutcomes = [];
        private List<PendingInfo> _spareInfos = [];
        private bool _flushing;
        private Task _running = Task.CompletedTask;
        private volatile Exception? _error;

        public OutcomeFlusher(OutboxProcessor owner, CancellationToken hostStopping)
        {
            _owner = owner;
            _hostStopping = hostStopping;
        }

        /// <summary>The first failed write of the cycle, if any.</summary>
        public Exception? Error => _error;

        public void Add(in OutboxOutcome outcome, OutboxMessage message, string errorType)
        {
            lock (_gate)
            {
                _outcomes.Add(outcome);
                _infos.Add(new PendingInfo(message, errorType));
                if (!_flushing)
                {
                    _flushing = true;
                    _running = Task.Run(FlushLoopAsync);
                }
            }
        }

        public Task WhenIdleAsync()
        {
            lock (_gate)
            {
                return _flushing ? _running : Task.CompletedTask;
            }
        }

        private async Task FlushLoopAsync()
        {
            while (true)
            {
                List<OutboxOutcome> outcomes;
                List<PendingInfo> infos;
                lock (_gate)
                {
                    if (_outcomes.Count == 0)
                    {
                        _flushing = false;
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
            OutboxProcessor owner = _owner;
            IReadOnlyCollection<Guid> rejected;
            try
            {
                // Not cancellable: an outcome that is not written means the record is delivered again.
                rejected = await owner._store.CompleteAsync(outcomes, CancellationToken.None).ConfigureAwait(false);
            }
            catch (Exception ex)
            {
                _error ??= ex;
                owner.LogOutcomeWriteFailed(ex, outcomes.Count);
                return;
            }

            HashSet<Guid>? rejectedSet = null;
            if (rejected.Count > 0)
            {
                rejectedSet = new HashSet<Guid>(rejected);
                owner._metrics.Rejected(rejectedSet.Count);
            }

            List<OutboxMessage>? deadLetters = null;
            for (int i = 0; i < outcomes.Count; i++)
            {
                OutboxOutcome outcome = outcomes[i];
                OutboxMessage message = infos[i].Message;
                if (rejectedSet is not null && rejectedSet.Contains(outcome.Id))
                {
                    owner.LogOutcomeRejected(outcome.Id, outcome.LeaseOwner, OutboxStatusText.ToText(outcome.Status));
                    continue;
                }

                switch (outcome.Status)
                {
                    case OutboxStatus.Sent:
                        owner._metrics.Sent(message.MessageType, outcome.CompletedAt - message.CreatedAt);
                        owner.LogSent(outcome.Id, message.MessageType);
                        break;
                    case OutboxStatus.Failed:
                        owner._metrics.Failed(message.MessageType, infos[i].ErrorType);
                        owner.LogFailed(outcome.Id, message.MessageType, outcome.RetryCount, outcome.NextAttemptAt, outcome.LastError);
                        break;
                    case OutboxStatus.DeadLetter:
                        owner._metrics.DeadLettered(message.MessageType, infos[i].ErrorType);
                        owner.LogDeadLettered(outcome.Id, message.MessageType, outcome.RetryCount, outcome.LastError);
                        if (owner._deadLetterHandlers.Length > 0)
                        {
                            (deadLetters ??= []).Add(ToDeadLetter(message, outcome));
                        }

                        break;
                    default:
                        break;
                }
            }

            if (deadLetters is not null)
            {
                await NotifyDeadLettersAsync(deadLetters).ConfigureAwait(false);
            }
        }

        private async Task NotifyDeadLettersAsync(List<OutboxMessage> deadLetters)
        {
            foreach (OutboxMessage deadLetter in deadLetters)
            {
                foreach (IDeadLetterHandler handler in _owner._deadLetterHandlers)
                {
                    try
                    {
                        await handler.OnDeadLetteredAsync(deadLetter, _hostStopping).ConfigureAwait(false);
                    }
                    catch (Exception ex)
                    {
                        _owner.LogDeadLetterHandlerFailed(ex, handler.GetType().FullName, deadLetter.Id);
                    }
                }
            }
        }

        private static OutboxMessage ToDeadLetter(OutboxMessage message, in OutboxOutcome outcome) => new()
        {
            Id = message.Id,
            MessageType = message.MessageType,
            AggregateId = message.AggregateId,
            Payload = message.Payload,
            Headers = message.Headers,
            Status = OutboxStatus.DeadLetter,
            RetryCount = outcome.RetryCount,
            CreatedAt = message.CreatedAt,
            NextAttemptAt = message.NextAttemptAt,
            LastAttemptAt = outcome.AttemptedAt,
            SentAt = null,
            LastError = outcome.LastError,
            LeaseOwner = null,
            LeaseExpiresAt = null,
        };

        private readonly record struct PendingInfo(OutboxMessage Message, string ErrorType);
    }
}
