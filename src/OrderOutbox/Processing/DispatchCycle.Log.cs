using Microsoft.Extensions.Logging;

namespace OrderOutbox.Processing;

internal sealed partial class DispatchCycle
{
    [LoggerMessage(EventId = 1107, Level = LogLevel.Debug, Message = "Released {Count} claimed outbox records that were not attempted")]
    private partial void LogReleased(int count);

    [LoggerMessage(EventId = 1108, Level = LogLevel.Warning, Message = "Releasing {Count} claimed outbox records failed; they become due again when their leases expire")]
    private partial void LogReleaseFailed(Exception exception, int count);

    [LoggerMessage(EventId = 1109, Level = LogLevel.Error, Message = "Dispatching outbox message {MessageId} failed unexpectedly; it is attempted again when its lease expires")]
    private partial void LogDispatchCrashed(Exception exception, Guid messageId);

    [LoggerMessage(EventId = 1110, Level = LogLevel.Debug, Message = "Outbox cycle attempted {Count} records")]
    private partial void LogCycleCompleted(int count);

    [LoggerMessage(EventId = 1117, Level = LogLevel.Warning, Message = "Outbox message {MessageId} was released, not dispatched: its lease ends at {LeaseUntil:O}, too soon for a whole call and its outcome write; it is due again at once")]
    private partial void LogLeaseTooShort(Guid messageId, DateTimeOffset leaseUntil);
}
