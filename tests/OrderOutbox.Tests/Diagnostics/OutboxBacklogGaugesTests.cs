using FluentAssertions;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.Metrics.Testing;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using NSubstitute;
using NSubstitute.ExceptionExtensions;
using OrderOutbox.Diagnostics;
using Xunit;

namespace OrderOutbox.Tests.Diagnostics;

public sealed class OutboxBacklogGaugesTests : IDisposable
{
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2030, 1, 1, 0, 0, 0, TimeSpan.Zero));
    private readonly OutboxMetrics _metrics = new(null);
    private readonly IOutboxAdmin _admin = Substitute.For<IOutboxAdmin>();
    private readonly OutboxBacklogGauges _gauges;

    public OutboxBacklogGaugesTests()
    {
        ServiceProvider services = new ServiceCollection().AddSingleton(_admin).BuildServiceProvider();
        _gauges = new OutboxBacklogGauges(_metrics, services, _time, Options.Create(new OutboxOptions()), NullLogger<OutboxBacklogGauges>.Instance);
        Returns(new OutboxStatistics { Due = 7, Leased = 2, DeadLetter = 3, OldestDueAge = TimeSpan.FromSeconds(42.5) });
    }

    public void Dispose()
    {
        _gauges.Dispose();
        _metrics.Dispose();
    }

    [Fact]
    public async Task The_gauges_report_the_store_statistics_read_in_the_background()
    {
        using var due = new MetricCollector<long>(_metrics.Meter, "orderoutbox.backlog.due", _time);
        using var age = new MetricCollector<double>(_metrics.Meter, "orderoutbox.backlog.oldest_due_age", _time);
        using var leased = new MetricCollector<long>(_metrics.Meter, "orderoutbox.backlog.leased", _time);
        using var dead = new MetricCollector<long>(_metrics.Meter, "orderoutbox.dead_letters", _time);

        due.RecordObservableInstruments();
        due.LastMeasurement.Should().BeNull("the first scrape starts the first read and never waits for the database");
        await _gauges.CurrentRefresh;
        due.RecordObservableInstruments();
        age.RecordObservableInstruments();
        leased.RecordObservableInstruments();
        dead.RecordObservableInstruments();

        due.LastMeasurement!.Value.Should().Be(7);
        leased.LastMeasurement!.Value.Should().Be(2);
        dead.LastMeasurement!.Value.Should().Be(3);
        age.LastMeasurement!.Value.Should().Be(42.5);
        age.Instrument!.Unit.Should().Be("s");
    }

    [Fact]
    public async Task Scrapes_within_the_refresh_interval_never_read_the_store_again()
    {
        using var due = new MetricCollector<long>(_metrics.Meter, "orderoutbox.backlog.due", _time);
        due.RecordObservableInstruments();
        await _gauges.CurrentRefresh;

        for (int i = 0; i < 50; i++)
        {
            due.RecordObservableInstruments();
        }

        _time.Advance(OutboxOptions.DefaultGaugeRefreshInterval - TimeSpan.FromMilliseconds(1));
        due.RecordObservableInstruments();
        await _gauges.CurrentRefresh;
        await _admin.Received(1).GetStatisticsAsync(Arg.Any<CancellationToken>());

        Returns(new OutboxStatistics { Due = 11 });
        _time.Advance(TimeSpan.FromMilliseconds(1));
        due.RecordObservableInstruments();
        await _gauges.CurrentRefresh;
        due.RecordObservableInstruments();

        await _admin.Received(2).GetStatisticsAsync(Arg.Any<CancellationToken>());
        due.LastMeasurement!.Value.Should().Be(11, "the interval passed, so the next scrape read fresh figures");
    }

    [Fact]
    public async Task While_the_store_cannot_be_read_the_gauges_report_nothing_rather_than_stale_figures()
    {
        using var due = new MetricCollector<long>(_metrics.Meter, "orderoutbox.backlog.due", _time);
        due.RecordObservableInstruments();
        await _gauges.CurrentRefresh;
        _admin.GetStatisticsAsync(Arg.Any<CancellationToken>()).ThrowsAsync(new InvalidOperationException("database down"));
        _time.Advance(OutboxOptions.DefaultGaugeRefreshInterval);
        due.RecordObservableInstruments();
        await _gauges.CurrentRefresh;
        due.Clear();

        due.RecordObservableInstruments();

        due.GetMeasurementSnapshot().Should().BeEmpty();
    }

    private void Returns(OutboxStatistics statistics)
        => _admin.GetStatisticsAsync(Arg.Any<CancellationToken>()).Returns(Task.FromResult(statistics));
}
