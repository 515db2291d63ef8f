using FluentAssertions;
using OrderOutbox.Processing;
using Xunit;

namespace OrderOutbox.Tests.Processing;

/// <summary>The circuit's pure state machine, case by case.</summary>
public sealed class CircuitStateTests
{
    private static readonly DateTimeOffset T0 = new(2030, 1, 1, 0, 0, 0, TimeSpan.Zero);

    private static readonly CircuitSettings Settings = new(
        FailureThreshold: 3, FailureRatio: null, MinimumThroughput: 4, SamplingWindow: TimeSpan.FromSeconds(30),
        ProbeInterval: TimeSpan.FromSeconds(10), ProbeMultiplier: 2, MaxProbeInterval: TimeSpan.FromSeconds(60));

    private static CircuitState Open(int failedProbes, int probeInSeconds) => CircuitState.Closed(T0) with
    {
        Phase = CircuitPhase.Open, FailedProbes = failedProbes, ProbeAt = T0.AddSeconds(probeInSeconds), OpenedAt = T0,
    };

    private static CircuitState HalfOpen(int failedProbes) => Open(failedProbes, 0) with { Phase = CircuitPhase.HalfOpen, ProbeAt = T0.AddSeconds(60) };

    private static CircuitState ClosedWith(int consecutive) => CircuitState.Closed(T0) with
    {
        ConsecutiveFailures = consecutive, WindowAttempts = consecutive, WindowFailures = consecutive,
    };

    /// <summary>(name, state before, result, was probe, seconds after T0) → (phase, consecutive failures, failed probes, next probe in seconds after T0 or null).</summary>
    private static readonly Dictionary<string, (CircuitState Before, CircuitResult Result, bool WasProbe, int At, CircuitPhase Phase, int Consecutive, int FailedProbes, int? ProbeAt)> TransitionCases = new()
    {
        ["a failure below the threshold is counted"] = (ClosedWith(1), CircuitResult.EndpointFailure, false, 1, CircuitPhase.Closed, 2, 0, null),
        ["the third failure in a row opens, first probe after ProbeInterval"] = (ClosedWith(2), CircuitResult.EndpointFailure, false, 5, CircuitPhase.Open, 3, 0, 15),
        ["a success resets the count"] = (ClosedWith(2), CircuitResult.EndpointUp, false, 5, CircuitPhase.Closed, 0, 0, null),
        ["an abandoned call changes nothing when closed"] = (ClosedWith(2), CircuitResult.Abandoned, false, 5, CircuitPhase.Closed, 2, 0, null),
        ["a late failure of an older call keeps it open, probe time unchanged"] = (Open(0, 10), CircuitResult.EndpointFailure, false, 3, CircuitPhase.Open, 0, 0, 10),
        ["a late success of an older call closes"] = (Open(0, 10), CircuitResult.EndpointUp, false, 3, CircuitPhase.Closed, 0, 0, null),
        ["the first failed probe waits 2 × ProbeInterval"] = (HalfOpen(0), CircuitResult.EndpointFailure, true, 10, CircuitPhase.Open, 0, 1, 30),
        ["the third failed probe waits 8 × ProbeInterval, capped at 60 s"] = (HalfOpen(2), CircuitResult.EndpointFailure, true, 10, CircuitPhase.Open, 0, 3, 70),
        ["a successful probe closes"] = (HalfOpen(5), CircuitResult.EndpointUp, true, 10, CircuitPhase.Closed, 0, 0, null),
        ["an abandoned probe lets the next record probe at once"] = (HalfOpen(1), CircuitResult.Abandoned, true, 10, CircuitPhase.Open, 0, 1, 10),
        ["a failure of a non-probe while half-open keeps waiting for the probe"] = (HalfOpen(1), CircuitResult.EndpointFailure, false, 10, CircuitPhase.HalfOpen, 0, 1, 60),
    };

    public static TheoryData<string> Transitions => new(TransitionCases.Keys);

    [Theory]
    [MemberData(nameof(Transitions))]
    public void An_attempt_result_moves_the_circuit(string name)
    {
        (CircuitState before, CircuitResult result, bool wasProbe, int atSeconds, CircuitPhase phase, int consecutive, int failedProbes, int? probeAtSeconds) =
            TransitionCases[name];
        CircuitState after = before.Record(result, wasProbe, T0.AddSeconds(atSeconds), Settings);

        after.Phase.Should().Be(phase, name);
        after.ConsecutiveFailures.Should().Be(consecutive, name);
        after.FailedProbes.Should().Be(failedProbes, name);
        if (probeAtSeconds is { } probeAt)
        {
            after.ProbeAt.Should().Be(T0.AddSeconds(probeAt), name);
        }
    }

    /// <summary>(state, seconds after T0) → admission and phase after it.</summary>
    private static readonly Dictionary<string, (CircuitState State, int At, CircuitAdmission Admission, CircuitPhase Phase)> AdmissionCases = new()
    {
        ["closed attempts everything"] = (ClosedWith(2), 0, CircuitAdmission.Attempt, CircuitPhase.Closed),
        ["open before the probe time holds"] = (Open(0, 10), 9, CircuitAdmission.Hold, CircuitPhase.Open),
        ["open at the probe time probes and becomes half-open"] = (Open(0, 10), 10, CircuitAdmission.Probe, CircuitPhase.HalfOpen),
        ["half-open holds everything but the probe in flight"] = (HalfOpen(0), 30, CircuitAdmission.Hold, CircuitPhase.HalfOpen),
        ["a half-open probe that never reports is given up after MaxProbeInterval"] = (HalfOpen(0), 60, CircuitAdmission.Probe, CircuitPhase.HalfOpen),
    };

    public static TheoryData<string> Admissions => new(AdmissionCases.Keys);

    [Theory]
    [MemberData(nameof(Admissions))]
    public void A_claimed_record_is_admitted_by_the_circuit(string name)
    {
        (CircuitState state, int atSeconds, CircuitAdmission admission, CircuitPhase phase) = AdmissionCases[name];
        (CircuitState after, CircuitAdmission decided) = state.Admit(T0.AddSeconds(atSeconds), Settings);

        decided.Should().Be(admission, name);
        after.Phase.Should().Be(phase, name);
    }

    [Fact]
    public void A_failure_ratio_over_the_window_opens_without_failures_in_a_row()
    {
        CircuitSettings ratio = Settings with { FailureThreshold = 100, FailureRatio = 0.5, MinimumThroughput = 4 };
        CircuitState state = CircuitState.Closed(T0);
        CircuitResult[] results = [CircuitResult.EndpointFailure, CircuitResult.EndpointUp, CircuitResult.EndpointFailure];
        foreach (CircuitResult result in results)
        {
            state = state.Record(result, false, T0.AddSeconds(1), ratio);
        }

        state.Phase.Should().Be(CircuitPhase.Closed, "3 attempts are below the minimum throughput of 4");
        state.Record(CircuitResult.EndpointFailure, false, T0.AddSeconds(2), ratio).Phase.Should().Be(CircuitPhase.Open, "3 of 4 failed ≥ 50%");
        state.Record(CircuitResult.EndpointFailure, false, T0.AddSeconds(31), ratio).Phase
            .Should().Be(CircuitPhase.Closed, "after the window the counts start again");
    }

    [Theory]
    [InlineData(0, 10)]
    [InlineData(1, 20)]
    [InlineData(2, 40)]
    [InlineData(3, 60)]
    [InlineData(40, 60)]
    [InlineData(5000, 60)]
    public void The_probe_delay_grows_and_is_capped(int failedProbes, int seconds)
        => CircuitState.ProbeDelay(failedProbes, Settings).Should().Be(TimeSpan.FromSeconds(seconds));
}
