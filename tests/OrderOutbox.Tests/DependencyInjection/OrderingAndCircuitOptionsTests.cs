using FluentAssertions;
using Microsoft.Extensions.Options;
using OrderOutbox.DependencyInjection;
using Xunit;

namespace OrderOutbox.Tests.DependencyInjection;

/// <summary>Bad ordering and circuit options are refused at start with the option, its value and the allowed range.</summary>
public sealed class OrderingAndCircuitOptionsTests
{
    private static readonly Dictionary<string, (Action<OutboxOptions> Set, string Expected)> Cases = new()
    {
        ["threshold 0"] = (o => o.Circuit.FailureThreshold = 0, "OutboxOptions.Circuit.FailureThreshold = 0"),
        ["ratio above 1"] = (o => o.Circuit.FailureRatio = 1.5, "OutboxOptions.Circuit.FailureRatio = 1.5"),
        ["ratio NaN"] = (o => o.Circuit.FailureRatio = double.NaN, "OutboxOptions.Circuit.FailureRatio = NaN"),
        ["probe interval too short"] = (o => o.Circuit.ProbeInterval = TimeSpan.FromMilliseconds(10), "OutboxOptions.Circuit.ProbeInterval = 00:00:00.0100000"),
        ["probe interval over the cap"] = (
            o => { o.Circuit.ProbeInterval = TimeSpan.FromMinutes(10); o.Circuit.MaxProbeInterval = TimeSpan.FromMinutes(5); },
            "OutboxOptions.Circuit.ProbeInterval = 00:10:00: must not exceed OutboxOptions.Circuit.MaxProbeInterval = 00:05:00"),
        ["multiplier infinite"] = (o => o.Circuit.ProbeMultiplier = double.PositiveInfinity, "OutboxOptions.Circuit.ProbeMultiplier"),
        ["window too short"] = (o => o.Circuit.SamplingWindow = TimeSpan.Zero, "OutboxOptions.Circuit.SamplingWindow = 00:00:00"),
        ["unknown ordering"] = (o => o.Ordering = (OutboxOrdering)7, "OutboxOptions.Ordering = 7"),
        ["unknown dead-letter mode"] = (o => o.AfterDeadLetter = (AggregateDeadLetterMode)9, "OutboxOptions.AfterDeadLetter = 9"),
        ["no circuit options"] = (o => o.Circuit = null!, "OutboxOptions.Circuit = null"),
    };

    public static TheoryData<string> Names => new(Cases.Keys);

    [Theory]
    [MemberData(nameof(Names))]
    public void A_bad_option_fails_validation_naming_it(string name)
    {
        var options = new OutboxOptions();
        Cases[name].Set(options);

        ValidateOptionsResult result = new OutboxOptionsValidator().Validate(null, options);

        result.Failed.Should().BeTrue(name);
        result.FailureMessage.Should().Contain(Cases[name].Expected, name);
    }

    [Fact]
    public void The_defaults_and_a_full_configuration_are_valid()
    {
        var options = new OutboxOptions
        {
            Ordering = OutboxOrdering.PerAggregate,
            AfterDeadLetter = AggregateDeadLetterMode.Continue,
            Circuit = new CircuitOptions { Enabled = true, FailureRatio = 0.5, ProbeInterval = TimeSpan.FromSeconds(1), MaxProbeInterval = TimeSpan.FromSeconds(1) },
        };

        new OutboxOptionsValidator().Validate(null, new OutboxOptions()).Succeeded.Should().BeTrue();
        new OutboxOptionsValidator().Validate(null, options).Succeeded.Should().BeTrue();
    }
}
