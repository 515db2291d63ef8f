using Microsoft.Extensions.Logging;

namespace OrderOutbox.PostgreSql;

internal sealed partial class PostgreSqlWakeUpListener
{
    [LoggerMessage(EventId = 2100, EventName = "PostgreSqlListening", Level = LogLevel.Information,
        Message = "Listening for outbox notifications on channel {Channel} (backend process {ProcessId})")]
    private partial void LogListening(string channel, int processId);

    [LoggerMessage(EventId = 2101, EventName = "PostgreSqlListenConnectionLost", Level = LogLevel.Warning,
        Message = "The outbox notification connection on channel {Channel} failed; reconnecting in {Delay} (polling continues meanwhile)")]
    private partial void LogConnectionLost(Exception exception, string channel, TimeSpan delay);

    [LoggerMessage(EventId = 2102, EventName = "PostgreSqlListenReconnectFailed", Level = LogLevel.Debug,
        Message = "Reconnecting the outbox notification connection on channel {Channel} failed; next try in {Delay}")]
    private partial void LogReconnectFailed(Exception exception, string channel, TimeSpan delay);

    [LoggerMessage(EventId = 2103, EventName = "PostgreSqlListenReconnected", Level = LogLevel.Information,
        Message = "Listening again for outbox notifications on channel {Channel} (backend process {ProcessId})")]
    private partial void LogReconnected(string channel, int processId);

    [LoggerMessage(EventId = 2104, EventName = "PostgreSqlListenStopped", Level = LogLevel.Debug,
        Message = "Stopped listening for outbox notifications on channel {Channel}")]
    private partial void LogStopped(string channel);
}
