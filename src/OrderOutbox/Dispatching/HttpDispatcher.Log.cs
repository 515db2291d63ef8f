using Microsoft.Extensions.Logging;

namespace OrderOutbox.Dispatching;

internal sealed partial class HttpDispatcher
{
    [LoggerMessage(EventId = 3001, Level = LogLevel.Trace, Message = "POSTing outbox message {MessageId} of type {MessageType}: {Payload}")]
    private partial void LogSending(Guid messageId, string messageType, string payload);

    [LoggerMessage(EventId = 3002, Level = LogLevel.Debug, Message = "Outbox message {MessageId} was accepted with HTTP {StatusCode}")]
    private partial void LogDelivered(Guid messageId, int statusCode);

    [LoggerMessage(EventId = 3003, Level = LogLevel.Information, Message = "Outbox message {MessageId} was refused: {StatusLine}")]
    private partial void LogRefused(Guid messageId, string statusLine);

    /// <summary>The receiver's answer may echo the request (payload data), so it is logged at Debug only.</summary>
    [LoggerMessage(EventId = 3005, Level = LogLevel.Debug, Message = "Outbox message {MessageId} was refused with HTTP {StatusCode}; the receiver answered: {ResponseBody}")]
    private partial void LogRefusedBody(Guid messageId, int statusCode, string responseBody);

    [LoggerMessage(EventId = 3004, Level = LogLevel.Debug, Message = "Outbox message {MessageId} could not be delivered: {Error}")]
    private partial void LogNetworkFailure(Guid messageId, string error);

    [LoggerMessage(EventId = 3006, Level = LogLevel.Information, Message = "Endpoint {Endpoint} answered 429 with Retry-After; nothing is sent to it for {Seconds} s")]
    private partial void LogEndpointPaused(string endpoint, double seconds);

    /// <summary>The value itself is not logged: it may hold line breaks that would forge log lines too.</summary>
    [LoggerMessage(EventId = 3007, Level = LogLevel.Warning, Message = "The stored {Header} of outbox message {MessageId} holds characters an HTTP header cannot carry (control characters or non-ASCII); it is not sent, the message is")]
    private partial void LogUnsendableHeader(Guid messageId, string header);

    [LoggerMessage(EventId = 3008, Level = LogLevel.Error, Message = "Outbox message {MessageId} of type {MessageType} has no route and there is no default endpoint: dead-lettered; add the route (HttpDispatcherOptions.Routes) and requeue it")]
    private partial void LogNoRoute(Guid messageId, string messageType);
}
