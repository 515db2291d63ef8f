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
