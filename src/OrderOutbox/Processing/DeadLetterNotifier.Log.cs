using Microsoft.Extensions.Logging;

namespace OrderOutbox.Processing;

internal sealed partial class DeadLetterNotifier
{
    [LoggerMessage(EventId = 1106, Level = LogLevel.Error, Message = "The dead-letter handler {Handler} failed for outbox message {MessageId}; the record stays dead-lettered")]
    private partial void LogHandlerFailed(Exception exception, string? handler, Guid messageId);
}
