using FluentAssertions;
using Microsoft.Extensions.Options;
using OrderOutbox.DependencyInjection;
using Xunit;

namespace OrderOutbox.Tests.DependencyInjection;

/// <summary>The lease rule of the options validator: it must match the engine, and never punish ordinary settings.</summary>
public sealed class LeaseRuleValidatorTests
{
    public static TheoryData<int, int> OrdinaryPairs => new()
    {
        { 1, 1 }, { 10, 1 }, { 100, 1 }, { 1000, 1 }, { 10_000, 1 },
        { 10, 11 }, { 10, 16 }, { 100, 16 }, { 2, 8 }, { 1, 1024 }, { 10_000, 1024 }, { 500, 3 },
    };

    [Theory]
    [MemberData(nameof(OrdinaryPairs))]
    public void Every_valid_batch_size_and_concurrency_starts_with_the_other_defaults(int batchSize, int maxConcurrency)
    {
        var options = new OutboxOptions { BatchSize = batchSize, MaxConcurrency = maxConcurrency };

        ValidateOptionsResult result = new OutboxOptionsValidator().Validate(null, options);

        result.Succeeded.Should().BeTrue(result.FailureMessage);
    }

    public static TheoryData<double, double, bool> LeaseRows => new()
    {
        // DispatchTimeout s, LeaseDuration s, valid: the lease must hold one call plus min(DispatchTimeout, 5 s)
        { 10, 15, true },
        { 10, 14.999, false },
        { 10, 31, true },   // B 10 / C 11 / T 10 s: accepted, and the engine honours it (EngineEdgePathTests)
        { 2, 4, true },
        { 2, 3.9, false },
        { 600, 605, true },
        { 600, 300, false },
    };

    [Theory]
    [MemberData(nameof(LeaseRows))]
    public void The_lease_must_hold_one_call_and_its_outcome_write(double timeoutSeconds, double leaseSeconds, bool valid)
    {
        var options = new OutboxOptions
        {
            BatchSize = 10,
            MaxConcurrency = 11,
            DispatchTimeout = TimeSpan.FromSeconds(timeoutSeconds),
            LeaseDuration = TimeSpan.FromSeconds(leaseSeconds),
        };

        ValidateOptionsResult result = new OutboxOptionsValidator().Validate(null, options);

        result.Succeeded.Should().Be(valid, result.FailureMessage);
        if (!valid)
        {
            result.FailureMessage.Should().Contain("OutboxOptions.LeaseDuration = ").And.Contain("must be at least");
        }
    }
}
