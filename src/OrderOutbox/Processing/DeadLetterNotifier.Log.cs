using Microsoft.Extensions.Logging;

namespace OrderOutbox.Processing;

internal sealed partial class DeadLetterNotifier
{
    [LoggerMessage(EventId = 1106, Level = LogLevel.Error, Message = "The dead-letter handler {Handler} failed for outbox message {MessageId}; the record stays dead-lettered")]
    private partial void LogHandlerFailed(Exception exception, string? handler, Guid messageId);

    [LoggerMessage(EventId = 1116, Level = LogLevel.Error, Message = "The dead-letter handler {Handler} did not finish within {Timeout} for outbox message {MessageId} (OutboxOptions.DeadLetterHandlerTimeout); the record stays dead-lettered and the next handler runs")]
    private partial void LogHandlerTimedOut(string? handler, Guid messageId, TimeSpan timeout);
}
