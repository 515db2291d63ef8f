using Microsoft.Extensions.Logging;

namespace OrderOutbox.Hosting;

internal sealed partial class OutboxDispatcherService
{
    [LoggerMessage(EventId = 1001, Level = LogLevel.Information, Message = "Outbox dispatcher {InstanceId} started: polling every {PollingInterval}, batches of {BatchSize}, {MaxConcurrency} calls at a time")]
    private partial void LogStarted(string instanceId, TimeSpan pollingInterval, int batchSize, int maxConcurrency);

    [LoggerMessage(EventId = 1002, Level = LogLevel.Information, Message = "Outbox dispatcher is off in this host (OutboxOptions.RunDispatcher = false)")]
    private partial void LogDisabled();

    [LoggerMessage(EventId = 1003, Level = LogLevel.Information, Message = "Outbox dispatcher stopped")]
    private partial void LogStopped();

    [LoggerMessage(EventId = 1004, Level = LogLevel.Error, Message = "The outbox dispatch cycle failed; retrying in {Delay}. Further failures are logged at Debug until a cycle succeeds")]
    private partial void LogCycleFailed(Exception exception, TimeSpan delay);

    [LoggerMessage(EventId = 1005, Level = LogLevel.Debug, Message = "The outbox dispatch cycle failed again ({Failures} in a row); retrying in {Delay}")]
    private partial void LogCycleStillFailing(Exception exception, int failures, TimeSpan delay);

    [LoggerMessage(EventId = 1006, Level = LogLevel.Information, Message = "The outbox dispatch cycle recovered after {Failures} failed cycles ({Outage})")]
    private partial void LogRecovered(int failures, TimeSpan outage);

    [LoggerMessage(EventId = 1007, Level = LogLevel.Information, Message = "Purged {Count} SENT outbox records delivered before {SentBefore:O}")]
    private partial void LogPurged(long count, DateTimeOffset sentBefore);

    [LoggerMessage(EventId = 1008, Level = LogLevel.Warning, Message = "Purging SENT outbox records failed; retrying at the next purge interval")]
    private partial void LogPurgeFailed(Exception exception);

    [LoggerMessage(EventId = 1009, Level = LogLevel.Warning, Message = "The outbox dispatcher did not finish releasing its claims and writing its last outcomes within {Limit} after cancelling the calls in flight; those records become due again when their leases expire")]
    private partial void LogCleanupTimedOut(TimeSpan limit);
}
