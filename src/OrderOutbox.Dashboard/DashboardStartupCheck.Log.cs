using Microsoft.Extensions.Logging;

namespace OrderOutbox.Dashboard;

internal sealed partial class DashboardStartupCheck
{
    [LoggerMessage(EventId = 5001, Level = LogLevel.Warning, Message = "The OrderOutbox dashboard allows anonymous access (OrderOutboxDashboardOptions.AllowAnonymous = true): anyone who can reach it can read, requeue and purge outbox records. Use this for local development only")]
    private partial void LogAnonymousAccess();

    [LoggerMessage(EventId = 5002, Level = LogLevel.Error, Message = "The OrderOutbox dashboard refuses every request: set OrderOutboxDashboardOptions.AuthorizationPolicy to the name of an authorization policy (or AllowAnonymous = true for local development)")]
    private partial void LogNoPolicy();
}
