using Microsoft.Extensions.Logging;

namespace OrderOutbox.Processing;

internal sealed partial class EndpointCircuits
{
    [LoggerMessage(EventId = 1120, Level = LogLevel.Warning,
        Message = "Circuit of endpoint {Endpoint} opened after {ConsecutiveFailures} failures in a row ({WindowFailures} of {WindowAttempts} in the window): its records are held, no retries spent; first probe in {ProbeIn}")]
    private partial void LogOpened(string endpoint, int consecutiveFailures, int windowFailures, int windowAttempts, TimeSpan probeIn);

    [LoggerMessage(EventId = 1121, Level = LogLevel.Information, Message = "Circuit of endpoint {Endpoint} half-open: probe {Probe} is attempted")]
    private partial void LogProbing(string endpoint, int probe);

    [LoggerMessage(EventId = 1122, Level = LogLevel.Information, Message = "Circuit of endpoint {Endpoint} stays open: probe {FailedProbes} failed, next probe in {ProbeIn}")]
    private partial void LogProbeFailed(string endpoint, int failedProbes, TimeSpan probeIn);

    [LoggerMessage(EventId = 1123, Level = LogLevel.Information, Message = "Circuit of endpoint {Endpoint} closed after {OpenFor} and {FailedProbes} failed probes: delivery resumes")]
    private partial void LogClosed(string endpoint, TimeSpan openFor, int failedProbes);
}
