using Microsoft.Extensions.Logging;

namespace OrderOutbox.Processing;

internal sealed partial class OutboxProcessor
{
    [LoggerMessage(EventId = 1101, Level = LogLevel.Debug, Message = "Outbox message {MessageId} of type {MessageType} was delivered")]
    private partial void LogSent(Guid messageId, string messageType);

    [LoggerMessage(EventId = 1102, Level = LogLevel.Information, Message = "Outbox message {MessageId} of type {MessageType} failed (failed attempts: {RetryCount}); next attempt at {NextAttemptAt:O}: {Error}")]
    private partial void LogFailed(Guid messageId, string messageType, int retryCount, DateTimeOffset? nextAttemptAt, string? error);

    [LoggerMessage(EventId = 1103, Level = LogLevel.Warning, Message = "Outbox message {MessageId} of type {MessageType} was dead-lettered after {RetryCount} failed attempts: {Error}")]
    private partial void LogDeadLettered(Guid messageId, string messageType, int retryCount, string? error);

    [LoggerMessage(EventId = 1104, Level = LogLevel.Warning, Message = "The outcome {Status} of outbox message {MessageId} was not written: the lease {LeaseOwner} had passed to another claim (fencing); the newer claim's outcome stands")]
    private partial void LogOutcomeRejected(Guid messageId, string leaseOwner, string status);

    [LoggerMessage(EventId = 1105, Level = LogLevel.Error, Message = "Writing {Count} outbox outcomes failed; their records are attempted again when their leases expire")]
    private partial void LogOutcomeWriteFailed(Exception exception, int count);

    [LoggerMessage(EventId = 1106, Level = LogLevel.Error, Message = "The dead-letter handler {Handler} failed for outbox message {MessageId}; the record stays dead-lettered")]
    private partial void LogDeadLetterHandlerFailed(Exception exception, string? handler, Guid messageId);

    [LoggerMessage(EventId = 1107, Level = LogLevel.Debug, Message = "Released {Count} claimed outbox records that were not attempted")]
    private partial void LogReleased(int count);

    [LoggerMessage(EventId = 1108, Level = LogLevel.Warning, Message = "Releasing {Count} claimed outbox records failed; they become due again when their leases expire")]
    private partial void LogReleaseFailed(Exception exception, int count);

    [LoggerMessage(EventId = 1109, Level = LogLevel.Error, Message = "Dispatching outbox message {MessageId} failed unexpectedly; it is attempted again when its lease expires")]
    private partial void LogDispatchCrashed(Exception exception, Guid messageId);

    [LoggerMessage(EventId = 1110, Level = LogLevel.Debug, Message = "Outbox cycle attempted {Count} records")]
    private partial void LogCycleCompleted(int count);
}
