using FluentAssertions;
using Microsoft.Extensions.Time.Testing;
using OrderOutbox.Processing;
using OrderOutbox.Tests.Support;
using Xunit;

namespace OrderOutbox.Tests.Processing;

/// <summary>Dead-letter handlers never delay outcome writes, and a hung one never hangs a cycle.</summary>
public sealed class HungDeadLetterHandlerTests
{
    private static readonly DateTimeOffset Start = new(2026, 3, 1, 9, 0, 0, TimeSpan.Zero);
    private readonly FakeTimeProvider _time = new(Start);

    private CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_handler_that_never_completes_does_not_delay_the_next_outcome_and_the_cycle_ends()
    {
        var store = new InMemoryOutboxStore(_time);
        Guid permanent = store.AddMany(1, Start - TimeSpan.FromSeconds(1))[0];
        Guid ok = store.AddMany(1, Start)[0];
        var dispatcher = new TestDispatcher(_time, (m, _) => m.Id == permanent ? DispatchResult.Permanent("HTTP 400 Bad Request") : DispatchResult.Success);
        var hung = new HungHandler();
        OutboxProcessor processor = Processors.Create(store, dispatcher, _time, new OutboxOptions { MaxConcurrency = 1 }, deadLetterHandlers: [hung]);

        Task<int> cycle = processor.ProcessOnceAsync(Ct);

        await Eventually.TrueAsync(() => store.Get(ok).Status == OutboxStatus.Sent, "the 200 record is SENT within a second although the handler hangs", timeoutSeconds: 1);
        (await cycle.WaitAsync(TimeSpan.FromSeconds(1), Ct)).Should().Be(2, "the cycle ends without waiting for the hung handler");
        store.Get(permanent).Status.Should().Be(OutboxStatus.DeadLetter);
        await Eventually.TrueAsync(() => hung.Calls == 1, "the handler was called once");
    }

    [Fact]
    public async Task A_hung_handler_is_left_behind_after_the_dead_letter_handler_timeout_and_the_next_one_runs()
    {
        var store = new InMemoryOutboxStore(_time);
        Guid id = store.AddMany(1, Start)[0];
        var dispatcher = new TestDispatcher(_time, (_, _) => DispatchResult.Permanent("HTTP 400 Bad Request"));
        var hung = new HungHandler();
        var next = new RecordingDeadLetterHandler();
        var logger = new Microsoft.Extensions.Logging.Testing.FakeLogger<OutboxProcessor>();
        OutboxProcessor processor = Processors.Create(
            store, dispatcher, _time, new OutboxOptions { DeadLetterHandlerTimeout = TimeSpan.FromSeconds(30) }, deadLetterHandlers: [hung, next], logger: logger);

        await processor.ProcessOnceAsync(Ct).WaitAsync(TimeSpan.FromSeconds(20), Ct);
        await Eventually.TrueAsync(() => hung.Calls == 1, "the first handler was called");
        _time.Advance(TimeSpan.FromSeconds(29));
        await Task.Delay(50, Ct);
        next.Received.Should().BeEmpty("the first handler still has time");

        await Eventually.TrueAsync(() => next.Received.Count == 1, "after 30 s the hung handler is left behind and the next runs", step: () => _time.Advance(TimeSpan.FromSeconds(1)));
        next.Received[0].Id.Should().Be(id);
        logger.Collector.GetSnapshot().Should().Contain(r => r.Id.Id == 1116 && r.Message.Contains(id.ToString(), StringComparison.Ordinal) && r.Message.Contains("00:00:30", StringComparison.Ordinal));
    }

    private sealed class HungHandler : IDeadLetterHandler
    {
        private int _calls;

        public int Calls => Volatile.Read(ref _calls);

        public Task OnDeadLetteredAsync(OutboxMessage message, CancellationToken cancellationToken)
        {
            Interlocked.Increment(ref _calls);
            return new TaskCompletionSource().Task; // never completes, ignores cancellation
        }
    }
}
