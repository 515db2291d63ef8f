using System.Diagnostics.Metrics;
using FluentAssertions;
using Microsoft.Extensions.Logging.Testing;
using Microsoft.Extensions.Time.Testing;
using OrderOutbox.Diagnostics;
using OrderOutbox.Processing;
using OrderOutbox.Tests.Support;
using Xunit;

namespace OrderOutbox.Tests.Processing;

/// <summary>The circuit in the real engine, with fake time: a receiver outage of hours spends no retries.</summary>
public sealed class CircuitOutageTests
{
    private static readonly DateTimeOffset Start = new(2030, 1, 1, 0, 0, 0, TimeSpan.Zero);

    private readonly FakeTimeProvider _time = new(Start);

    private static OutboxOptions Options() => new()
    {
        BatchSize = 10,
        MaxConcurrency = 1,
        Circuit = new CircuitOptions { Enabled = true, FailureThreshold = 5, ProbeInterval = TimeSpan.FromSeconds(10), MaxProbeInterval = TimeSpan.FromMinutes(5) },
    };

    [Fact]
    public async Task A_three_hour_outage_dead_letters_nothing_and_attempts_no_more_than_the_probes()
    {
        var store = new InMemoryOutboxStore();
        List<Guid> ids = store.AddMany(100, Start);
        DateTimeOffset upAt = Start + TimeSpan.FromHours(3);
        var dispatcher = new TestDispatcher(_time, (_, _) => _time.GetUtcNow() < upAt ? DispatchResult.Transient("HTTP 503") : DispatchResult.Success);
        var logger = new FakeLogger<OutboxProcessor>();
        using var metrics = new OutboxMetrics(null);
        var states = new List<int>();
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter == metrics.Meter && instrument.Name == "orderoutbox.circuit.state")
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        listener.SetMeasurementEventCallback<int>((_, value, _, _) => states.Add(value));
        listener.Start();
        OutboxOptions options = Options();
        OutboxProcessor processor = Processors.Create(store, dispatcher, _time, options, metrics: metrics, logger: logger);
        TimeSpan cycleEvery = TimeSpan.FromSeconds(10);

        while (_time.GetUtcNow() < upAt)
        {
            await processor.ProcessOnceAsync(TestContext.Current.CancellationToken);
            if (_time.GetUtcNow() == Start + TimeSpan.FromHours(1))
            {
                listener.RecordObservableInstruments();
            }

            _time.Advance(cycleEvery);
        }

        int attemptsDuringOutage = dispatcher.Attempts.Count;
        processor.Circuits!.PhaseOf(EndpointCircuits.DefaultEndpoint).Should().Be(CircuitPhase.Open);
        for (int i = 0; i < 360 && ids.Any(id => store.Get(id).Status != OutboxStatus.Sent); i++)
        {
            await processor.ProcessOnceAsync(TestContext.Current.CancellationToken);
            _time.Advance(cycleEvery);
        }

        OutboxStatistics stats = await store.GetStatisticsAsync(TestContext.Current.CancellationToken);
        ids.Select(id => store.Get(id).Status).Should().AllBeEquivalentTo(OutboxStatus.Sent, "every record is delivered once the receiver is back");
        stats.DeadLetter.Should().Be(0, "the outage spent no record's retries");
        int maxProbes = ProbesWithin(TimeSpan.FromHours(3), CircuitSettings.From(options.Circuit));
        attemptsDuringOutage.Should().BeGreaterThan(options.Circuit.FailureThreshold, "probes were tried")
            .And.BeLessThanOrEqualTo(options.Circuit.FailureThreshold + maxProbes, "only the failures that opened the circuit and the probes were attempted");
        processor.Circuits.PhaseOf(EndpointCircuits.DefaultEndpoint).Should().Be(CircuitPhase.Closed);
        IReadOnlyList<FakeLogRecord> logs = logger.Collector.GetSnapshot();
        logs.Count(r => r.Id.Id == 1120).Should().Be(1, "one line when the circuit opens");
        logs.Count(r => r.Id.Id == 1123).Should().Be(1, "one line when it closes");
        states.Should().Contain((int)CircuitPhase.Open, "the gauge reports the open circuit");
    }

    [Fact]
    public async Task Without_the_circuit_the_same_outage_dead_letters_the_backlog()
    {
        var store = new InMemoryOutboxStore();
        store.AddMany(20, Start);
        DateTimeOffset upAt = Start + TimeSpan.FromHours(3);
        var dispatcher = new TestDispatcher(_time, (_, _) => _time.GetUtcNow() < upAt ? DispatchResult.Transient("HTTP 503") : DispatchResult.Success);
        OutboxOptions options = Options();
        options.Circuit.Enabled = false;
        OutboxProcessor processor = Processors.Create(store, dispatcher, _time, options);

        while (_time.GetUtcNow() < upAt)
        {
            await processor.ProcessOnceAsync(TestContext.Current.CancellationToken);
            _time.Advance(TimeSpan.FromMinutes(1));
        }

        (await store.GetStatisticsAsync(TestContext.Current.CancellationToken)).DeadLetter.Should().Be(20);
    }

    [Fact]
    public async Task A_failed_probe_leaves_its_error_on_the_record_and_spends_no_retry()
    {
        var store = new InMemoryOutboxStore();
        store.AddMany(10, Start);
        var dispatcher = new TestDispatcher(_time, (_, _) => _time.GetUtcNow() == Start
            ? DispatchResult.Transient("HTTP 503 before the circuit opened")
            : DispatchResult.Transient("HTTP 503 while probing"));
        OutboxProcessor processor = Processors.Create(store, dispatcher, _time, Options());

        await processor.ProcessOnceAsync(TestContext.Current.CancellationToken);
        processor.Circuits!.PhaseOf(EndpointCircuits.DefaultEndpoint).Should().Be(CircuitPhase.Open);
        dispatcher.Attempts.Should().HaveCount(Options().Circuit.FailureThreshold, "the failures that opened the circuit");
        _time.Advance(TimeSpan.FromSeconds(10));
        await processor.ProcessOnceAsync(TestContext.Current.CancellationToken);

        dispatcher.Attempts.Should().HaveCount(Options().Circuit.FailureThreshold + 1, "one probe");
        OutboxMessage probe = store.Get(dispatcher.Attempts.Last().Id);
        probe.RetryCount.Should().Be(0, "a failed probe spends no retry");
        probe.LastError.Should().Contain("HTTP 503 while probing", "the probe's failure is on its record, for the admin API and the dashboard")
            .And.Contain("circuit");
        probe.LastAttemptAt.Should().Be(Start + TimeSpan.FromSeconds(10));
        probe.Status.Should().NotBe(OutboxStatus.DeadLetter);
        probe.NextAttemptAt.Should().BeOnOrBefore(_time.GetUtcNow(), "it stays due: the circuit, not its own schedule, holds it");
    }

    /// <summary>The most probes the schedule allows in <paramref name="outage"/> after the circuit opens.</summary>
    private static int ProbesWithin(TimeSpan outage, CircuitSettings settings)
    {
        int probes = 0;
        for (TimeSpan at = CircuitState.ProbeDelay(0, settings); at <= outage; at += CircuitState.ProbeDelay(probes, settings))
        {
            probes++;
        }

        return probes;
    }
}
