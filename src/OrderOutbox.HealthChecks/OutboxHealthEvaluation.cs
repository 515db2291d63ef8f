using System.Globalization;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using OrderOutbox.Internal;

namespace OrderOutbox.HealthChecks;

/// <summary>
/// The decision of the outbox health check, a pure function of what it observed: unhealthy when the store cannot be
/// reached or the dispatcher has not completed a cycle within the bound; degraded when the oldest due record or the
/// number of dead letters is over its threshold, or an endpoint's outage circuit is open; healthy otherwise. The result's data carries the counts.
/// </summary>
internal static class OutboxHealthEvaluation
{
    /// <summary>Evaluates one check.</summary>
    /// <param name="inputs">What the check observed.</param>
    /// <param name="options">The thresholds.</param>
    /// <param name="failureStatus">The status to report when unhealthy (the registration's failure status).</param>
    /// <returns>The result.</returns>
    public static HealthCheckResult Evaluate(in OutboxHealthInputs inputs, OutboxHealthCheckOptions options, HealthStatus failureStatus)
    {
        var data = new Dictionary<string, object>(StringComparer.Ordinal);
        TimeSpan? cycleAge = null;
        if (inputs.DispatcherExpected)
        {
            cycleAge = inputs.Now - (inputs.LastCycleAt ?? inputs.RunningSince);
            data["last_cycle_completed_at"] = inputs.LastCycleAt is { } last ? last.ToString("O", CultureInfo.InvariantCulture) : "never";
            data["last_cycle_age_seconds"] = Math.Round(cycleAge.Value.TotalSeconds, 3);
        }

        if (inputs.Statistics is not { } stats)
        {
            Exception? error = inputs.StoreError;
            string reason = error is null ? "no statistics" : error.GetType().Name + ": " + error.Message;
            return new HealthCheckResult(failureStatus, "The outbox store cannot be reached: " + OutboxText.Truncate(reason, 500), error, data);
        }

        data["pending"] = stats.Pending;
        data["failed"] = stats.Failed;
        data["due"] = stats.Due;
        data["leased"] = stats.Leased;
        data["dead_letter"] = stats.DeadLetter;
        if (stats.OldestDueAge is { } oldest)
        {
            data["oldest_due_age_seconds"] = Math.Round(oldest.TotalSeconds, 3);
        }

        if (stats.SentEstimate is { } sent)
        {
            data["sent_estimate"] = sent;
        }

        if (cycleAge is { } age && age > options.MaxCycleAge)
        {
            string since = inputs.LastCycleAt is null ? "since it started" : "for " + Duration(age);
            return new HealthCheckResult(
                failureStatus,
                $"The outbox dispatcher has not completed a cycle {since} (allowed {Duration(options.MaxCycleAge)}): it is stuck or every cycle fails.",
                data: data);
        }

        var degraded = new List<string>(2);
        if (options.MaxOldestDueAge is { } maxAge && stats.OldestDueAge is { } oldestAge && oldestAge > maxAge)
        {
            degraded.Add($"the oldest due record has waited {Duration(oldestAge)} (threshold {Duration(maxAge)})");
        }

        if (options.MaxDeadLetters is { } maxDead && stats.DeadLetter > maxDead)
        {
            degraded.Add(string.Create(CultureInfo.InvariantCulture, $"{stats.DeadLetter} dead letters wait for an operator (threshold {maxDead})"));
        }

        if (inputs.OpenCircuits is { Count: > 0 } open)
        {
            data["open_circuits"] = string.Join(",", open);
            degraded.Add($"the circuit of endpoint {string.Join(", ", open)} is open: its records are held, without spending retries, until a probe succeeds");
        }

        if (degraded.Count > 0)
        {
            return HealthCheckResult.Degraded("The outbox is degraded: " + string.Join("; ", degraded) + ".", data: data);
        }

        return HealthCheckResult.Healthy(
            string.Create(CultureInfo.InvariantCulture, $"The outbox is healthy: {stats.Due} due, {stats.DeadLetter} dead letters."),
            data);
    }

    /// <summary>A duration to the second, as <c>d.hh:mm:ss</c> (<c>00:05:00</c>).</summary>
    private static string Duration(TimeSpan value)
        => TimeSpan.FromSeconds(Math.Round(value.TotalSeconds)).ToString("c", CultureInfo.InvariantCulture);
}
