using FluentAssertions;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using OrderOutbox.Diagnostics;
using OrderOutbox.Processing;
using OrderOutbox.Tests.Support;
using Xunit;

namespace OrderOutbox.Tests.Processing;

public sealed class OutcomeWriterLingerTests
{
    private static readonly DateTimeOffset Now = new(2026, 3, 1, 9, 0, 0, TimeSpan.Zero);

    public static TheoryData<string, int, bool, long, long, bool> Cases => new()
    {
        // name, queued, flush, linger ms, lease left ms, expected
        { "a few outcomes, leases far: linger", 3, false, 10, 60_000, true },
        { "the cycle asked for the rest: write now", 3, true, 10, 60_000, false },
        { "linger off: write now", 3, false, 0, 60_000, false },
        { "a full write waiting: write now", OutcomeWriter.MaxOutcomesPerWrite, false, 10, 60_000, false },
        { "one short of full: linger", OutcomeWriter.MaxOutcomesPerWrite - 1, false, 10, 60_000, true },
        { "a lease ends within the guard: write now", 3, false, 10, 999, false },
        { "a lease ends just after the guard: linger", 3, false, 10, 1_001, true },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void ShouldLinger_follows_the_rule(string name, int queued, bool flush, long lingerMs, long leaseLeftMs, bool expected)
        => OutcomeWriter.ShouldLinger(queued, flush, TimeSpan.FromMilliseconds(lingerMs), Now, Now.AddMilliseconds(leaseLeftMs))
            .Should().Be(expected, name);

    [Fact]
    public async Task Outcomes_added_during_the_linger_go_out_in_one_write_when_it_passes()
    {
        var time = new FakeTimeProvider(Now);
        var inner = new InMemoryOutboxStore(time);
        inner.AddMany(3, Now);
        var store = new ScriptedStore(inner);
        IReadOnlyList<OutboxMessage> claimed = await store.ClaimAsync(3, "i:1", Now, Now.AddMinutes(5), TestContext.Current.CancellationToken);
        var writer = NewWriter(store, time);

        foreach (OutboxMessage message in claimed)
        {
            writer.Add(new AttemptClassification(OutboxOutcome.Sent(message, Now, Now), "success", string.Empty), message, Now.AddMinutes(5));
        }

        await Task.Delay(50, TestContext.Current.CancellationToken); // real time passes; the fake clock does not
        store.CompleteCalls.Should().Be(0, "the writer lingers on the engine's clock");

        time.Advance(OutcomeWriter.Linger);
        await Eventually.TrueAsync(() => store.CompleteCalls > 0, "the linger passed on the fake clock, so the write starts");
        await writer.WhenIdleAsync();

        store.CompleteCalls.Should().Be(1, "the three outcomes share one write");
        inner.All().Should().OnlyContain(m => m.Status == OutboxStatus.Sent);
    }

    [Fact]
    public async Task The_cycles_end_writes_at_once_without_waiting_for_the_linger()
    {
        var time = new FakeTimeProvider(Now);
        var inner = new InMemoryOutboxStore(time);
        inner.AddMany(2, Now);
        var store = new ScriptedStore(inner);
        IReadOnlyList<OutboxMessage> claimed = await store.ClaimAsync(2, "i:1", Now, Now.AddMinutes(5), TestContext.Current.CancellationToken);
        var writer = NewWriter(store, time);
        foreach (OutboxMessage message in claimed)
        {
            writer.Add(new AttemptClassification(OutboxOutcome.Sent(message, Now, Now), "success", string.Empty), message, Now.AddMinutes(5));
        }

        await writer.WhenIdleAsync(); // the fake clock never moves

        store.CompleteCalls.Should().Be(1);
        inner.All().Should().OnlyContain(m => m.Status == OutboxStatus.Sent);
    }

    private static OutcomeWriter NewWriter(IOutboxStore store, TimeProvider time)
        => new(store, new OutboxMetrics(null), new DeadLetterNotifier([], TimeSpan.FromSeconds(1), time, NullLogger.Instance), time, NullLogger.Instance, CancellationToken.None);
}
