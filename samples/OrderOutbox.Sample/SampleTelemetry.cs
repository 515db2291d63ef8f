using System.Collections.Concurrent;
using System.Diagnostics;

namespace OrderOutbox.Sample;

/// <summary>
/// The sample's own tracing: an <see cref="ActivitySource"/> named <c>OrderOutbox.Sample</c> whose <c>order.complete</c>
/// span wraps each order completion, and a listener that records them (as an OpenTelemetry exporter would). The
/// outbox captures the current trace at enqueue and its dispatch span continues it, so the data platform's request
/// carries a <c>traceparent</c> of the same trace — the fake platform checks that against <see cref="TraceOf"/>.
/// </summary>
internal static class SampleTelemetry
{
    public const string SourceName = "OrderOutbox.Sample";

    public static readonly ActivitySource Source = new(SourceName);

    private static readonly ConcurrentDictionary<string, string> Traces = new(StringComparer.Ordinal);

    /// <summary>Starts listening to the sample's and the outbox's spans (all sampled); dispose to stop.</summary>
    public static ActivityListener Listen()
    {
        var listener = new ActivityListener
        {
            ShouldListenTo = source => source.Name is SourceName or "OrderOutbox",
            Sample = static (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
        };
        ActivitySource.AddActivityListener(listener);
        return listener;
    }

    /// <summary>Starts the span of one order completion and remembers its trace ID.</summary>
    public static Activity? StartCompletion(string orderId)
    {
        Activity? activity = Source.StartActivity("order.complete");
        if (activity is not null)
        {
            activity.SetTag("order.id", orderId);
            Traces[orderId] = activity.TraceId.ToHexString();
        }

        return activity;
    }

    /// <summary>The trace ID of the order's completion, or <see langword="null"/>.</summary>
    public static string? TraceOf(string orderId) => Traces.GetValueOrDefault(orderId);
}
