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

    [LoggerMessage(EventId = 1105, Level = LogLevel.Error, Message = "Writing {Count} outbox outcomes failed until their leases ran out; their records are attempted again when their leases expire")]
    private partial void LogWriteFailed(Exception exception, int count);

    [LoggerMessage(EventId = 1111, Level = LogLevel.Warning, Message = "An outcome write of {Count} outbox records did not go through (attempt {Attempt}); retrying in {Delay}")]
    private partial void LogWriteRetried(Exception exception, int count, int attempt, TimeSpan delay);

    [LoggerMessage(EventId = 1112, Level = LogLevel.Warning, Message = "Writing {Count} outbox outcomes together failed {Attempts} times; writing them one by one so that one bad outcome cannot lose the others")]
    private partial void LogWritingSeparately(Exception exception, int count, int attempts);

    [LoggerMessage(EventId = 1113, Level = LogLevel.Error, Message = "The outcome {Status} of outbox message {MessageId} could not be written and was dropped while other outcomes landed; the record is attempted again when its lease expires")]
    private partial void LogOutcomeLost(Exception exception, Guid messageId, string status);

    [LoggerMessage(EventId = 1114, Level = LogLevel.Warning, Message = "Counting or logging a stored outbox outcome failed; outcome writing goes on")]
    private partial void LogReportFailed(Exception exception);

    [LoggerMessage(EventId = 1115, Level = LogLevel.Error, Message = "The outbox outcome writer hit an unexpected error; it goes on with the next outcomes")]
    private partial void LogWriterFault(Exception exception);
}
