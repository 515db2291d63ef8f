using System.Collections.Concurrent;
using FluentAssertions;
using Microsoft.Extensions.Time.Testing;
using OrderOutbox.DependencyInjection;
using OrderOutbox.Processing;
using OrderOutbox.Tests.Support;
using Xunit;

namespace OrderOutbox.Tests.Processing;

/// <summary>No call starts on a record whose lease would end before the call's timeout.</summary>
public sealed class LeaseRuleEngineTests
{
    private static readonly DateTimeOffset Start = new(2026, 3, 1, 9, 0, 0, TimeSpan.Zero);
    private readonly FakeTimeProvider _time = new(Start);

    private CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Batch_10_concurrency_11_timeout_10s_at_the_shortest_accepted_lease_every_call_starts_a_timeout_before_its_lease_ends()
    {
        TimeSpan timeout = TimeSpan.FromSeconds(10);
        var options = new OutboxOptions { BatchSize = 10, MaxConcurrency = 11, DispatchTimeout = timeout, LeaseDuration = TimeSpan.FromSeconds(31) };
        new OutboxOptionsValidator().Validate(null, options).Succeeded.Should().BeTrue("the validator accepts this lease, so the engine must honour it");

        var store = new InMemoryOutboxStore(_time);
        store.AddMany(100, Start);
        var starts = new ConcurrentQueue<(Guid Id, DateTimeOffset At, DateTimeOffset LeaseEnd)>();
        var dispatcher = new TestDispatcher(_time, async (m, _, ct) =>
        {
            starts.Enqueue((m.Id, _time.GetUtcNow(), m.LeaseExpiresAt!.Value));
            await Task.Delay(timeout, _time, CancellationToken.None); // every call takes exactly the timeout
            return DispatchResult.Success;
        });
        OutboxProcessor processor = Processors.Create(store, dispatcher, _time, options);

        for (int cycle = 0; cycle < 40 && store.All().Any(m => m.Status == OutboxStatus.Pending); cycle++)
        {
            Task<int> running = processor.ProcessOnceAsync(Ct);
            await Eventually.TrueAsync(() => running.IsCompleted, "the cycle ends", step: () => _time.Advance(TimeSpan.FromSeconds(1)));
            await running;
        }

        starts.Should().NotBeEmpty();
        starts.Where(s => s.At > s.LeaseEnd - timeout)
            .Select(s => $"{s.Id} started at +{(s.At - Start).TotalSeconds}s, lease ends at +{(s.LeaseEnd - Start).TotalSeconds}s")
            .Should().BeEmpty("a call may start only while its record's lease covers the whole call");
        store.All().Should().OnlyContain(m => m.Status != OutboxStatus.Pending, "records released instead of started are claimed again and finished");
    }
}
