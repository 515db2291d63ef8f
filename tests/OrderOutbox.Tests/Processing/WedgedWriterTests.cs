using FluentAssertions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Time.Testing;
using OrderOutbox.Processing;
using OrderOutbox.Tests.Support;
using Xunit;

namespace OrderOutbox.Tests.Processing;

/// <summary>No exception outside the store call (a logging provider, a metrics listener) can stop outcome writing.</summary>
public sealed class WedgedWriterTests
{
    private static readonly DateTimeOffset Start = new(2026, 3, 1, 9, 0, 0, TimeSpan.Zero);
    private readonly FakeTimeProvider _time = new(Start);

    private CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_logger_that_throws_on_the_sent_event_does_not_stop_later_outcomes_being_written()
    {
        var store = new InMemoryOutboxStore(_time);
        store.AddMany(20, Start);
        // The second batch is attempted only after the first batch's outcomes were stored (and the logger threw on them).
        int calls = 0;
        var dispatcher = new TestDispatcher(_time, async (_, _, _) =>
        {
            if (Interlocked.Increment(ref calls) == 11)
            {
                await Eventually.TrueAsync(() => store.All().Any(m => m.Status == OutboxStatus.Sent), "the first outcomes are stored");
                await Task.Delay(50, CancellationToken.None);
            }

            return DispatchResult.Success;
        });
        OutboxProcessor processor = Processors.Create(
            store, dispatcher, _time, new OutboxOptions { BatchSize = 10, MaxConcurrency = 1 }, logger: new ThrowingLogger<OutboxProcessor>(sentEventId: 1101));

        try
        {
            await processor.ProcessOnceAsync(Ct).WaitAsync(TimeSpan.FromSeconds(20), Ct);
        }
        catch (InvalidOperationException)
        {
            // the old engine surfaced the logger's exception; what matters is what reached the store
        }

        dispatcher.Attempts.Should().HaveCount(20, "both batches were claimed and attempted");
        store.All().Should().OnlyContain(m => m.Status == OutboxStatus.Sent, "the second batch's outcomes are written although logging the first batch threw");
        store.CountLeased().Should().Be(0);
    }

    /// <summary>A logger whose provider throws on one event, as a broken logging sink would.</summary>
    private sealed class ThrowingLogger<T>(int sentEventId) : ILogger<T>
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (eventId.Id == sentEventId)
            {
                throw new InvalidOperationException("the logging sink is broken");
            }
        }
    }
}
