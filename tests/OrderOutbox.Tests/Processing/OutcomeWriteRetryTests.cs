using FluentAssertions;
using Microsoft.Extensions.Time.Testing;
using OrderOutbox.Processing;
using OrderOutbox.Tests.Support;
using Xunit;

namespace OrderOutbox.Tests.Processing;

/// <summary>A database blip does not lose a batch of outcomes: the write is retried while the leases are valid.</summary>
public sealed class OutcomeWriteRetryTests
{
    private static readonly DateTimeOffset Start = new(2026, 3, 1, 9, 0, 0, TimeSpan.Zero);
    private readonly FakeTimeProvider _time = new(Start);

    private CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task An_outcome_write_that_fails_once_is_retried_and_lands()
    {
        var inner = new InMemoryOutboxStore(_time);
        inner.AddMany(3, Start);
        var store = new ScriptedStore(inner) { CompleteFailure = (_, call) => call == 1 ? new TimeoutException("connection reset by peer") : null };
        var dispatcher = new TestDispatcher(_time, (_, _) => DispatchResult.Success);
        OutboxProcessor processor = Processors.Create(store, dispatcher, _time, new OutboxOptions { BatchSize = 10, MaxConcurrency = 1 });

        Task<int> cycle = processor.ProcessOnceAsync(Ct);
        await Eventually.TrueAsync(() => cycle.IsCompleted, "the cycle ends", step: () => _time.Advance(TimeSpan.FromMilliseconds(100)));

        cycle.IsCompletedSuccessfully.Should().BeTrue("a write that succeeded on retry is not a failed cycle");
        inner.All().Should().OnlyContain(m => m.Status == OutboxStatus.Sent && m.LeaseOwner == null, "every outcome of the failed write landed on retry");
        dispatcher.Attempts.Should().HaveCount(3, "nothing was delivered twice");
        store.CompleteCalls.Should().BeGreaterThan(1);
    }
}
