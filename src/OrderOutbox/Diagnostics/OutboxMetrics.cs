using System.Diagnostics.Metrics;

namespace OrderOutbox.Diagnostics;

/// <summary>
/// The outbox's instruments, on a <see cref="Meter"/> named <c>OrderOutbox</c> created from the host's
/// <see cref="IMeterFactory"/> (or a private meter when none is registered).
/// </summary>
internal sealed class OutboxMetrics : IDisposable
{
    /// <summary>The meter and activity source name.</summary>
    public const string MeterName = "OrderOutbox";

    /// <summary>Tag: the message type (low cardinality: a handful of types per application).</summary>
    public const string MessageTypeTag = "orderoutbox.message.type";

    /// <summary>Tag: the failure class (OpenTelemetry <c>error.type</c>).</summary>
    public const string ErrorTypeTag = "error.type";

    /// <summary>Tag: the attempt's result (<c>success</c>, <c>transient</c>, <c>permanent</c>).</summary>
    public const string ResultTag = "orderoutbox.dispatch.result";

    private readonly bool _ownsMeter;
    private readonly Counter<long> _enqueued;
    private readonly Counter<long> _sent;
    private readonly Counter<long> _failed;
    private readonly Counter<long> _deadLettered;
    private readonly Counter<long> _rejected;
    private readonly Histogram<double> _dispatchDuration;
    private readonly Histogram<double> _deliveryLag;

    public OutboxMetrics(IMeterFactory? meterFactory)
    {
        if (meterFactory is null)
        {
            Meter = new Meter(MeterName);
            _ownsMeter = true;
        }
        else
        {
            Meter = meterFactory.Create(new MeterOptions(MeterName));
        }

        _enqueued = Meter.CreateCounter<long>("orderoutbox.messages.enqueued", "{message}", "Records written to the outbox.");
        _sent = Meter.CreateCounter<long>("orderoutbox.messages.sent", "{message}", "Records delivered (status SENT).");
        _failed = Meter.CreateCounter<long>("orderoutbox.messages.failed", "{message}", "Attempts that failed transiently (status FAILED, will be retried).");
        _deadLettered = Meter.CreateCounter<long>("orderoutbox.messages.dead_lettered", "{message}", "Records moved to DEAD_LETTER.");
        _rejected = Meter.CreateCounter<long>("orderoutbox.outcomes.rejected", "{outcome}", "Outcomes not written because the lease had passed to another claim (fencing).");
        _dispatchDuration = Meter.CreateHistogram<double>("orderoutbox.dispatch.duration", "s", "Duration of one dispatch call.");
        _deliveryLag = Meter.CreateHistogram<double>("orderoutbox.delivery.lag", "s", "Time from enqueue to successful delivery.");
    }

    /// <summary>The meter the instruments live on.</summary>
    public Meter Meter { get; }

    public void Enqueued(string messageType)
    {
        if (_enqueued.Enabled)
        {
            _enqueued.Add(1, new KeyValuePair<string, object?>(MessageTypeTag, messageType));
        }
    }

    public void Sent(string messageType, TimeSpan lag)
    {
        if (_sent.Enabled)
        {
            _sent.Add(1, new KeyValuePair<string, object?>(MessageTypeTag, messageType));
        }

        if (_deliveryLag.Enabled)
        {
            _deliveryLag.Record(Math.Max(0, lag.TotalSeconds), new KeyValuePair<string, object?>(MessageTypeTag, messageType));
        }
    }

    public void Failed(string messageType, string errorType)
    {
        if (_failed.Enabled)
        {
            _failed.Add(1, new KeyValuePair<string, object?>(MessageTypeTag, messageType), new KeyValuePair<string, object?>(ErrorTypeTag, errorType));
        }
    }

    public void DeadLettered(string messageType, string errorType)
    {
        if (_deadLettered.Enabled)
        {
            _deadLettered.Add(1, new KeyValuePair<string, object?>(MessageTypeTag, messageType), new KeyValuePair<string, object?>(ErrorTypeTag, errorType));
        }
    }

    public void Rejected(int count)
    {
        if (_rejected.Enabled)
        {
            _rejected.Add(count);
        }
    }

    public void DispatchDuration(string messageType, string result, TimeSpan duration)
    {
        if (_dispatchDuration.Enabled)
        {
            _dispatchDuration.Record(
                duration.TotalSeconds,
                new KeyValuePair<string, object?>(MessageTypeTag, messageType),
                new KeyValuePair<string, object?>(ResultTag, result));
        }
    }

    public void Dispose()
    {
        if (_ownsMeter)
        {
            Meter.Dispose();
        }
    }
}
