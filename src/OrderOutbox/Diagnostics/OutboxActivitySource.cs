using System.Diagnostics;

namespace OrderOutbox.Diagnostics;

/// <summary>The <see cref="ActivitySource"/> named <c>OrderOutbox</c>: one dispatch span per attempt.</summary>
internal static class OutboxActivitySource
{
    /// <summary>The name of the dispatch span.</summary>
    public const string DispatchActivityName = "orderoutbox.dispatch";

    /// <summary>The activity source; its name equals the meter's.</summary>
    public static readonly ActivitySource Source = new(OutboxMetrics.MeterName);

    /// <summary>
    /// Starts the dispatch span of <paramref name="message"/>, continuing the trace captured at enqueue when there
    /// is one; returns <see langword="null"/> when nobody listens (no work is done then).
    /// </summary>
    public static Activity? StartDispatch(OutboxMessage message)
    {
        if (!Source.HasListeners())
        {
            return null;
        }

        ActivityContext parent = default;
        if (TraceHeaders.TryRead(message.Headers, out string? traceParent, out string? traceState)
            && traceParent is not null)
        {
            _ = ActivityContext.TryParse(traceParent, traceState, isRemote: true, out parent);
        }

        Activity? activity = Source.StartActivity(DispatchActivityName, ActivityKind.Producer, parent);
        if (activity is { IsAllDataRequested: true })
        {
            activity.SetTag("messaging.system", "orderoutbox");
            activity.SetTag("messaging.operation.type", "send");
            activity.SetTag("messaging.message.id", message.Id.ToString());
            activity.SetTag(OutboxMetrics.MessageTypeTag, message.MessageType);
            activity.SetTag("orderoutbox.retry_count", message.RetryCount);
        }

        return activity;
    }
}
