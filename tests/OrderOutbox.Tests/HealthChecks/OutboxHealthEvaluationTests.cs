using FluentAssertions;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using OrderOutbox.HealthChecks;
using Xunit;

namespace OrderOutbox.Tests.HealthChecks;

public sealed class OutboxHealthEvaluationTests
{
    private static readonly DateTimeOffset Now = new(2030, 1, 1, 12, 0, 0, TimeSpan.Zero);
    private static readonly OutboxStatistics Quiet = new() { Pending = 2, Due = 1, Leased = 1 };

    private static readonly Dictionary<string, (OutboxHealthInputs Inputs, HealthStatus Expected, string Description)> Table = new()
    {
        ["all fine"] = (Inputs(Quiet, lastCycle: Now.AddSeconds(-30)), HealthStatus.Healthy, "healthy: 1 due, 0 dead letters"),
        ["store unreachable"] = (Inputs(null, error: new InvalidOperationException("connection refused")), HealthStatus.Unhealthy, "cannot be reached: InvalidOperationException: connection refused"),
        ["store unreachable beats a stalled dispatcher"] = (Inputs(null, error: new TimeoutException("slow"), lastCycle: Now.AddHours(-1)), HealthStatus.Unhealthy, "cannot be reached"),
        ["cycle just within the bound"] = (Inputs(Quiet, lastCycle: Now - TimeSpan.FromMinutes(5)), HealthStatus.Healthy, "healthy"),
        ["cycle over the bound"] = (Inputs(Quiet, lastCycle: Now - TimeSpan.FromMinutes(5) - TimeSpan.FromSeconds(1)), HealthStatus.Unhealthy, "has not completed a cycle for 00:05:01 (allowed 00:05:00)"),
        ["no cycle since start, within the bound"] = (Inputs(Quiet, lastCycle: null, since: Now.AddMinutes(-4)), HealthStatus.Healthy, "healthy"),
        ["no cycle since start, over the bound"] = (Inputs(Quiet, lastCycle: null, since: Now.AddMinutes(-6)), HealthStatus.Unhealthy, "since it started"),
        ["dispatcher not expected in this host"] = (Inputs(Quiet, lastCycle: null, since: Now.AddDays(-1), dispatcher: false), HealthStatus.Healthy, "healthy"),
        ["stalled dispatcher beats degraded"] = (Inputs(Quiet with { DeadLetter = 9 }, lastCycle: Now.AddHours(-1)), HealthStatus.Unhealthy, "has not completed a cycle"),
        ["oldest due at the threshold"] = (Inputs(Quiet with { OldestDueAge = TimeSpan.FromMinutes(5) }), HealthStatus.Healthy, "healthy"),
        ["oldest due over the threshold"] = (Inputs(Quiet with { OldestDueAge = TimeSpan.FromMinutes(7) }), HealthStatus.Degraded, "the oldest due record has waited 00:07:00 (threshold 00:05:00)"),
        ["one dead letter over the default 0"] = (Inputs(Quiet with { DeadLetter = 1 }), HealthStatus.Degraded, "1 dead letters wait for an operator (threshold 0)"),
        ["both degraded reasons"] = (Inputs(Quiet with { DeadLetter = 3, OldestDueAge = TimeSpan.FromHours(1) }), HealthStatus.Degraded, "01:00:00 (threshold 00:05:00); 3 dead letters"),
        ["an open circuit"] = (Inputs(Quiet) with { OpenCircuits = ["default"] }, HealthStatus.Degraded, "the circuit of endpoint default is open"),
        ["no open circuit"] = (Inputs(Quiet) with { OpenCircuits = [] }, HealthStatus.Healthy, "healthy"),
    };

    public static TheoryData<string> Cases => new(Table.Keys);

    [Theory]
    [MemberData(nameof(Cases))]
    public void The_status_follows_the_rules(string because)
    {
        (OutboxHealthInputs inputs, HealthStatus expected, string description) = Table[because];

        HealthCheckResult result = OutboxHealthEvaluation.Evaluate(inputs, new OutboxHealthCheckOptions(), HealthStatus.Unhealthy);

        result.Status.Should().Be(expected, because);
        result.Description.Should().Contain(description, because);
    }

    [Fact]
    public void The_failure_status_of_the_registration_is_used_when_unhealthy()
        => OutboxHealthEvaluation.Evaluate(Inputs(null, error: new InvalidOperationException("x")), new OutboxHealthCheckOptions(), HealthStatus.Degraded)
            .Status.Should().Be(HealthStatus.Degraded);

    [Fact]
    public void Thresholds_set_to_null_are_not_checked()
    {
        var options = new OutboxHealthCheckOptions { MaxDeadLetters = null, MaxOldestDueAge = null };

        OutboxHealthEvaluation.Evaluate(Inputs(Quiet with { DeadLetter = 1000, OldestDueAge = TimeSpan.FromDays(3) }), options, HealthStatus.Unhealthy)
            .Status.Should().Be(HealthStatus.Healthy);
    }

    [Fact]
    public void The_data_carries_the_counts_and_the_cycle_age()
    {
        var stats = new OutboxStatistics { Pending = 5, Failed = 2, Due = 4, Leased = 3, DeadLetter = 1, OldestDueAge = TimeSpan.FromSeconds(12.5), SentEstimate = 1_000_000 };

        HealthCheckResult result = OutboxHealthEvaluation.Evaluate(Inputs(stats, lastCycle: Now.AddSeconds(-20)), new OutboxHealthCheckOptions(), HealthStatus.Unhealthy);

        result.Data.Should().BeEquivalentTo(new Dictionary<string, object>
        {
            ["pending"] = 5L,
            ["failed"] = 2L,
            ["due"] = 4L,
            ["leased"] = 3L,
            ["dead_letter"] = 1L,
            ["oldest_due_age_seconds"] = 12.5,
            ["sent_estimate"] = 1_000_000L,
            ["last_cycle_completed_at"] = "2030-01-01T11:59:40.0000000+00:00",
            ["last_cycle_age_seconds"] = 20.0,
        });
    }

    private static OutboxHealthInputs Inputs(
        OutboxStatistics? stats, Exception? error = null, DateTimeOffset? lastCycle = null, DateTimeOffset? since = null, bool dispatcher = true)
        => new(Now, stats, error, dispatcher, lastCycle ?? (since is null ? Now.AddSeconds(-1) : null), since ?? Now.AddHours(-2));
}
