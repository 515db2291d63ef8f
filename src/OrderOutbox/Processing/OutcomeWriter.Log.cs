using Microsoft.Extensions.Logging;

namespace OrderOutbox.Processing;

internal sealed partial class OutcomeWriter
{
    [LoggerMessage(EventId = 1101, Level = LogLevel.Debug, Message = "Outbox message {MessageId} of type {MessageType} was delivered")]
    private partial void LogSent(Guid messageId, string messageType);

    [LoggerMessage(EventId = 1102, Level = LogLevel.Information, Message = "Outbox message {MessageId} of type {MessageType} failed (failed attempts: {RetryCount}); next attempt at {NextAttemptAt:O}: {Error}")]
    private partial void LogFailed(Guid messageId, string messageType, int retryCount, DateTimeOffset? nextAttemptAt, string? error);

    [LoggerMessage(EventId = 1103, Level = LogLevel.Warning, Message = "Outbox message {MessageId} of type {MessageType} was dead-lettered after {RetryCount} failed attempts: {Error}")]
    private partial void LogDeadLettered(Guid messageId, string messageType, int retryCount, string? error);

    [LoggerMessage(EventId = 1104, Level = LogLevel.Warning, Message = "The outcome {Status} of outbox message {MessageId} was not written: the lease {LeaseOwner} had passed to another claim (fencing); the newer claim's outcome stands")]
    private partial void LogRejected(Guid messageId, string leaseOwner, string status);

    [LoggerMessage(EventId = 1105, Level = LogLevel.Error, Message = "Writing {Count} outbox outcomes failed; their records are attempted again when their leases expire")]
    private partial void LogWriteFailed(Exception exception, int count);
}
