using FluentAssertions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;
using Microsoft.Extensions.Time.Testing;
using OrderOutbox.Processing;
using OrderOutbox.Tests.Support;
using Xunit;

namespace OrderOutbox.Tests.Processing;

/// <summary>One outcome the store refuses for ever (for example a text it cannot store) never loses the others of its batch.</summary>
public sealed class PoisonOutcomeTests
{
    private static readonly DateTimeOffset Start = new(2026, 3, 1, 9, 0, 0, TimeSpan.Zero);
    private readonly FakeTimeProvider _time = new(Start);

    private CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_batch_write_that_keeps_failing_is_written_one_by_one_so_only_the_bad_outcome_is_lost()
    {
        var inner = new InMemoryOutboxStore(_time);
        List<Guid> ids = inner.AddMany(4, Start);
        Guid poison = ids[1];
        var store = new ScriptedStore(inner)
        {
            CompleteFailure = (outcomes, _) => outcomes.Any(o => o.Id == poison) ? new InvalidOperationException("22021: invalid byte sequence for encoding \"UTF8\": 0x00") : null,
        };

        // Hold the first write until every call has ended, so the poison shares a write with good outcomes.
        var allAttempted = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        store.BeforeComplete = () => allAttempted.Task;
        var dispatcher = new TestDispatcher(_time, (_, _) => DispatchResult.Success);
        var logger = new FakeLogger<OutboxProcessor>();
        OutboxProcessor processor = Processors.Create(store, dispatcher, _time, new OutboxOptions { BatchSize = 10, MaxConcurrency = 1 }, logger: logger);

        Task<int> cycle = processor.ProcessOnceAsync(Ct);
        await Eventually.TrueAsync(() => dispatcher.Attempts.Count == 4, "all four calls ran");
        await Task.Delay(100, Ct); // the last outcome is queued right after its call returns
        allAttempted.SetResult();
        await Eventually.TrueAsync(() => cycle.IsCompleted, "the cycle ends", step: () => _time.Advance(TimeSpan.FromMilliseconds(200)));

        inner.All().Where(m => m.Id != poison).Should().OnlyContain(m => m.Status == OutboxStatus.Sent, "good outcomes land even when they shared a batch with one the store refuses");
        inner.Get(poison).Status.Should().Be(OutboxStatus.Pending, "the refused outcome is lost; its record is attempted again after its lease");
        logger.Collector.GetSnapshot().Should().Contain(r => r.Level >= LogLevel.Error && r.Message.Contains(poison.ToString(), StringComparison.Ordinal), "the lost outcome is named in the log");
    }
}
