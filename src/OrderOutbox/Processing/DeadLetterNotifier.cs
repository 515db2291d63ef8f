using Microsoft.Extensions.Logging;

namespace OrderOutbox.Processing;

/// <summary>Calls the registered <see cref="IDeadLetterHandler"/>s for records whose <c>DEAD_LETTER</c> outcome was stored.</summary>
internal sealed partial class DeadLetterNotifier
{
    private readonly IDeadLetterHandler[] _handlers;
    private readonly ILogger _logger;

    public DeadLetterNotifier(IDeadLetterHandler[] handlers, ILogger logger)
    {
        _handlers = handlers;
        _logger = logger;
    }

    /// <summary>Whether any handler is registered (when none is, dead letters are not even collected).</summary>
    public bool HasHandlers => _handlers.Length > 0;

    /// <summary>Calls every handler for every record, in turn; a handler that throws is logged and the next one runs.</summary>
    /// <param name="deadLetters">The dead-lettered records, with their new status.</param>
    /// <param name="cancellationToken">Fires when the host stops.</param>
    /// <returns>A task that completes when every handler has returned.</returns>
    public async Task NotifyAsync(List<OutboxMessage> deadLetters, CancellationToken cancellationToken)
    {
        foreach (OutboxMessage deadLetter in deadLetters)
        {
            foreach (IDeadLetterHandler handler in _handlers)
            {
                try
                {
                    await handler.OnDeadLetteredAsync(deadLetter, cancellationToken).ConfigureAwait(false);
                }
                catch (Exception ex)
                {
                    LogHandlerFailed(ex, handler.GetType().FullName, deadLetter.Id);
                }
            }
        }
    }

    /// <summary>The record as a dead-letter handler sees it: its new status, retry count and error, no lease.</summary>
    /// <param name="message">The claimed record.</param>
    /// <param name="outcome">Its stored <c>DEAD_LETTER</c> outcome.</param>
    /// <returns>The record.</returns>
    public static OutboxMessage ToDeadLetter(OutboxMessage message, in OutboxOutcome outcome) => new()
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
}
