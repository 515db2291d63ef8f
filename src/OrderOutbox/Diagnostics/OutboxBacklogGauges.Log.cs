using Microsoft.Extensions.Logging;

namespace OrderOutbox.Diagnostics;

internal sealed partial class OutboxBacklogGauges
{
    [LoggerMessage(EventId = 1201, Level = LogLevel.Warning,
        Message = "The outbox backlog gauges could not read the store's statistics; they report nothing until a read succeeds (retried every {Interval})")]
    private partial void LogRefreshFailed(Exception exception, TimeSpan interval);

    [LoggerMessage(EventId = 1202, Level = LogLevel.Information, Message = "The outbox backlog gauges read the store's statistics again")]
    private partial void LogRecovered();
}
