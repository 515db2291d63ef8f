using Microsoft.Extensions.Logging;

namespace OrderOutbox.Dispatching;

internal sealed partial class HttpDispatcher
{
    [LoggerMessage(EventId = 3001, Level = LogLevel.Trace, Message = "POSTing outbox message {MessageId} of type {MessageType}: {Payload}")]
    private partial void LogSending(Guid messageId, string messageType, string payload);

    [LoggerMessage(EventId = 3002, Level = LogLevel.Debug, Message = "Outbox message {MessageId} was accepted with HTTP {StatusCode}")]
    private partial void LogDelivered(Guid messageId, int statusCode);

    [LoggerMessage(EventId = 3003, Level = LogLevel.Debug, Message = "Outbox message {MessageId} was refused with HTTP {StatusCode}: {Error}")]
    private partial void LogRefused(Guid messageId, int statusCode, string error);

    [LoggerMessage(EventId = 3004, Level = LogLevel.Debug, Message = "Outbox message {MessageId} could not be delivered: {Error}")]
    private partial void LogNetworkFailure(Guid messageId, string error);
}
