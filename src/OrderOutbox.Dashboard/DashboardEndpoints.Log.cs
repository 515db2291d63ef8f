using Microsoft.Extensions.Logging;

namespace OrderOutbox.Dashboard;

internal sealed partial class DashboardEndpoints
{
    [LoggerMessage(EventId = 5101, Level = LogLevel.Information, Message = "Dashboard user {User} requeued dead letter {MessageId}")]
    private partial void LogRequeuedOne(string? user, Guid messageId);

    [LoggerMessage(EventId = 5102, Level = LogLevel.Information, Message = "Dashboard user {User} requeued {Count} of {Selected} selected dead letters")]
    private partial void LogRequeuedSelected(string? user, long count, int selected);

    [LoggerMessage(EventId = 5103, Level = LogLevel.Information, Message = "Dashboard user {User} requeued {Count} dead letters matching {Filter}")]
    private partial void LogRequeuedMatching(string? user, long count, DeadLetterFilter filter);

    [LoggerMessage(EventId = 5104, Level = LogLevel.Information, Message = "Dashboard user {User} purged {Count} SENT records delivered before {SentBefore:O}")]
    private partial void LogPurged(string? user, long count, DateTimeOffset sentBefore);
}
