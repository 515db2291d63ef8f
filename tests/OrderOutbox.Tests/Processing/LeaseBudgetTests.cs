using FluentAssertions;
using OrderOutbox.Processing;
using Xunit;

namespace OrderOutbox.Tests.Processing;

public sealed class LeaseBudgetTests
{
    public static TheoryData<int, int, double, double, int> Rows => new()
    {
        // BatchSize, MaxConcurrency, DispatchTimeout s, LeaseDuration s → most records claimed but unfinished
        { 10, 1, 10, 300, 29 },        // defaults: floor((300 - 10) / 10) = 29 rounds of one call; two batches fit as before
        { 100, 1, 10, 300, 29 },       // batch 100 with defaults: claims are cut to 29, the lease stays 5 minutes
        { 10, 11, 10, 31, 22 },        // two rounds of 11
        { 10, 16, 10, 300, 464 },
        { 10, 1, 10, 15, 1 },          // the shortest valid lease: one call at a time
        { 10, 4, 0.5, 1, 4 },          // sub-second timeouts: the allowance is the timeout itself
    };

    [Theory]
    [MemberData(nameof(Rows))]
    public void Claims_are_capped_at_what_the_workers_can_start_within_a_lease(int batchSize, int maxConcurrency, double timeoutSeconds, double leaseSeconds, int expected)
    {
        var options = new OutboxOptions
        {
            BatchSize = batchSize,
            MaxConcurrency = maxConcurrency,
            DispatchTimeout = TimeSpan.FromSeconds(timeoutSeconds),
            LeaseDuration = TimeSpan.FromSeconds(leaseSeconds),
        };

        LeaseBudget.MaxOutstanding(options).Should().Be(expected);
    }

    [Theory]
    [InlineData(10, 15)]
    [InlineData(3, 6)]
    [InlineData(0.2, 0.4)]
    [InlineData(600, 605)]
    public void A_call_needs_its_timeout_plus_the_write_allowance_of_lease_left(double timeoutSeconds, double marginSeconds)
        => LeaseBudget.StartMargin(TimeSpan.FromSeconds(timeoutSeconds)).Should().Be(TimeSpan.FromSeconds(marginSeconds));
}
