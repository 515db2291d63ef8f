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
}
