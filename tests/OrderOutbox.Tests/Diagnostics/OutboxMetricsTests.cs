using System.Diagnostics;
using System.Diagnostics.Metrics;
using FluentAssertions;
using Microsoft.Extensions.Diagnostics.Metrics.Testing;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using OrderOutbox.Diagnostics;
using OrderOutbox.Processing;
using OrderOutbox.Tests.Support;
using OrderOutbox.Writing;
using Xunit;

namespace OrderOutbox.Tests.Diagnostics;

public sealed class OutboxMetricsTests : IDisposable
{
    private static readonly DateTimeOffset Start = new(2026, 3, 1, 9, 0, 0, TimeSpan.Zero);
    private readonly FakeTimeProvider _time = new(Start);
    private readonly InMemoryOutboxStore _store;
    private readonly OutboxMetrics _metrics = new(null);

    public OutboxMetricsTests() => _store = new InMemoryOutboxStore(_time);

    private CancellationToken Ct => TestContext.Current.CancellationToken;

    public void Dispose() => _metrics.Dispose();

    private MetricCollector<T> Collect<T>(string name)
        where T : struct => new(_metrics.Meter, name, _time);

    [Fact]
    public async Task Sent_failed_and_dead_lettered_are_counted_with_their_tags()
    {
        List<Guid> ids = _store.AddMany(3, Start.AddSeconds(-30));
        using var sent = Collect<long>("orderoutbox.messages.sent");
        using var failed = Collect<long>("orderoutbox.messages.failed");
        using var dead = Collect<long>("orderoutbox.messages.dead_lettered");
        using var duration = Collect<double>("orderoutbox.dispatch.duration");
        using var lag = Collect<double>("orderoutbox.delivery.lag");
        var dispatcher = new TestDispatcher(_time, (m, _) =>
            m.Id == ids[0] ? DispatchResult.Success
            : m.Id == ids[1] ? DispatchResult.Transient("HTTP 503")
            : DispatchResult.Permanent("HTTP 400"));
        OutboxProcessor processor = Processors.Create(_store, dispatcher, _time, metrics: _metrics);

        await processor.ProcessOnceAsync(Ct);

        sent.GetMeasurementSnapshot().Should().ContainSingle().Which.Tags.Should().Contain(OutboxMetrics.MessageTypeTag, "order.completed");
        failed.GetMeasurementSnapshot().Should().ContainSingle().Which.Tags.Should().Contain("error.type", "transient");
        dead.GetMeasurementSnapshot().Should().ContainSingle().Which.Tags.Should().Contain("error.type", "permanent");
        duration.GetMeasurementSnapshot().Should().HaveCount(3);
        duration.Instrument!.Unit.Should().Be("s");
        lag.GetMeasurementSnapshot().Should().ContainSingle().Which.Value.Should().Be(30);
        lag.Instrument!.Unit.Should().Be("s");
    }

    [Fact]
    public async Task Timeouts_exhausted_retries_and_fencing_rejections_have_their_own_error_types()
    {
        List<Guid> ids = _store.AddMany(2, Start);
        using var failed = Collect<long>("orderoutbox.messages.failed");
        using var dead = Collect<long>("orderoutbox.messages.dead_lettered");
        using var rejected = Collect<long>("orderoutbox.outcomes.rejected");
        var dispatcher = new TestDispatcher(_time, (m, _, ct) =>
        {
            if (m.Id == ids[0])
            {
                throw new OperationCanceledException(ct); // an exception escaping the dispatcher (its token did not fire)
            }

            _store.StealLease(m.Id, "someone-else/1");
            return ValueTask.FromResult(DispatchResult.Success);
        });
        var options = new OutboxOptions { Backoff = { MaxRetries = 0 } };
        OutboxProcessor processor = Processors.Create(_store, dispatcher, _time, options, metrics: _metrics);

        await processor.ProcessOnceAsync(Ct);

        failed.GetMeasurementSnapshot().Should().BeEmpty();
        dead.GetMeasurementSnapshot().Should().ContainSingle().Which.Tags.Should().Contain("error.type", "retries_exhausted");
        rejected.GetMeasurementSnapshot().Should().ContainSingle().Which.Value.Should().Be(1);
    }

    [Fact]
    public async Task Enqueues_are_counted()
    {
        using var enqueued = Collect<long>("orderoutbox.messages.enqueued");
        using var connection = new FakeDbConnection();
        using var tx = new FakeDbTransaction(connection);
        var writer = new OutboxWriter(_store, Options.Create(new OutboxOptions()), _time, _metrics);

        await writer.EnqueueAsync(tx, "order.completed", new { A = 1 }, cancellationToken: Ct);
        await writer.EnqueueAsync(tx, "order.cancelled", new { A = 2 }, cancellationToken: Ct);

        enqueued.GetMeasurementSnapshot().Select(m => m.Tags[OutboxMetrics.MessageTypeTag]).Should().Equal("order.completed", "order.cancelled");
    }

    [Fact]
    public void The_meter_comes_from_the_meter_factory_when_there_is_one()
    {
        using var factory = new TestMeterFactory();
        using var metrics = new OutboxMetrics(factory);

        metrics.Meter.Name.Should().Be("OrderOutbox");
        factory.Created.Should().ContainSingle().Which.Should().BeSameAs(metrics.Meter);
    }

    [Fact]
    public async Task The_dispatch_span_continues_the_trace_captured_at_enqueue()
    {
        var traceId = ActivityTraceId.CreateRandom();
        var parentSpan = ActivitySpanId.CreateRandom();
        string headers = $"{{\"traceparent\":\"00-{traceId}-{parentSpan}-01\"}}";
        _store.Add(new OutboxEntry(MessageId.NewId(Start), "order.completed", "o-1", "{}", headers, Start));
        var spans = new List<Activity>();
        using var listener = new ActivityListener
        {
            ShouldListenTo = s => s.Name == "OrderOutbox",
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = a => { lock (spans) { spans.Add(a); } },
        };
        ActivitySource.AddActivityListener(listener);
        Activity? current = null;
        var dispatcher = new TestDispatcher(_time, (_, _) =>
        {
            current = Activity.Current;
            return DispatchResult.Transient("HTTP 503");
        });

        await Processors.Create(_store, dispatcher, _time).ProcessOnceAsync(Ct);

        current.Should().NotBeNull();
        current!.TraceId.Should().Be(traceId);
        current.ParentSpanId.Should().Be(parentSpan);
        current.OperationName.Should().Be("orderoutbox.dispatch");
        current.Status.Should().Be(ActivityStatusCode.Error);
        lock (spans)
        {
            spans.Should().Contain(current);
        }
    }

    private sealed class TestMeterFactory : IMeterFactory
    {
        public List<Meter> Created { get; } = [];

        public Meter Create(MeterOptions options)
        {
            var meter = new Meter(options.Name, options.Version, options.Tags, this);
            Created.Add(meter);
            return meter;
        }

        public void Dispose()
        {
            foreach (Meter meter in Created)
            {
                meter.Dispose();
            }
        }
    }
}
