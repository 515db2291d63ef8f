using FluentAssertions;
using OrderOutbox.Storage;
using Xunit;

namespace OrderOutbox.Tests.Storage;

public sealed class DeadLetterReplayTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Each_batch_starts_after_the_largest_id_of_the_previous_one_and_the_loop_ends_on_an_empty_batch()
    {
        Guid[] ids = Enumerable.Range(1, 5).Select(i => new Guid(i, 0, 0, new byte[8])).ToArray();
        var batches = new Queue<IReadOnlyCollection<Guid>>([[ids[1], ids[0]], [ids[3], ids[2]], [ids[4]], []]);
        var afters = new List<Guid?>();
        var reports = new List<long>();

        long total = await DeadLetterReplay.RunAsync(
            new SyncProgress(reports),
            (after, _) =>
            {
                afters.Add(after);
                return Task.FromResult(batches.Dequeue());
            },
            Ct);

        total.Should().Be(5);
        afters.Should().Equal(null, ids[1], ids[3], ids[4]);
        reports.Should().Equal(2, 4, 5);
    }

    [Fact]
    public async Task A_short_batch_is_not_taken_as_the_end()
    {
        var batches = new Queue<IReadOnlyCollection<Guid>>([[Guid.NewGuid()], [Guid.NewGuid()], []]);

        long total = await DeadLetterReplay.RunAsync(null, (_, _) => Task.FromResult(batches.Dequeue()), Ct);

        total.Should().Be(2);
        batches.Should().BeEmpty();
    }

    [Fact]
    public async Task Cancellation_stops_between_batches()
    {
        using var cts = new CancellationTokenSource();
        int calls = 0;

        Func<Task> run = () => DeadLetterReplay.RunAsync(
            null,
            (_, _) =>
            {
                calls++;
                cts.Cancel();
                return Task.FromResult<IReadOnlyCollection<Guid>>([Guid.NewGuid()]);
            },
            cts.Token);

        await run.Should().ThrowAsync<OperationCanceledException>();
        calls.Should().Be(1);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-1)]
    [InlineData(2001)]
    public void A_batch_size_out_of_range_names_the_argument_the_value_and_the_range(int batchSize)
        => FluentActions.Invoking(() => DeadLetterReplay.Validate(DeadLetterFilter.All, batchSize))
            .Should().Throw<ArgumentOutOfRangeException>()
            .Which.Message.Should().Contain("batchSize").And.Contain("1 to 2,000");

    [Theory]
    [InlineData(1)]
    [InlineData(2000)]
    public void The_batch_size_bounds_are_allowed(int batchSize)
        => FluentActions.Invoking(() => DeadLetterReplay.Validate(DeadLetterFilter.All, batchSize)).Should().NotThrow();

    private sealed class SyncProgress(List<long> reports) : IProgress<long>
    {
        public void Report(long value) => reports.Add(value);
    }
}
