namespace OrderOutbox.Processing;

/// <summary>The phase of an endpoint's circuit.</summary>
internal enum CircuitPhase
{
    /// <summary>Delivering normally; failures are counted.</summary>
    Closed = 0,

    /// <summary>One probe record is in flight; nothing else is attempted.</summary>
    HalfOpen = 1,

    /// <summary>Not attempting the endpoint until the next probe is due.</summary>
    Open = 2,
}

/// <summary>What the circuit lets a claimed record do.</summary>
internal enum CircuitAdmission
{
    /// <summary>Attempt it as usual.</summary>
    Attempt = 0,

    /// <summary>Attempt it as the probe: a failure is not spent on its retry count.</summary>
    Probe = 1,

    /// <summary>Do not attempt it: release it unattempted.</summary>
    Hold = 2,
}

/// <summary>How an attempt ended, as the circuit counts it.</summary>
internal enum CircuitResult
{
    /// <summary>The endpoint answered: sent, or a fault of the message (permanent).</summary>
    EndpointUp = 0,

    /// <summary>A transient or endpoint fault: timeout, network error, 5xx, 429, 401/403/404 …</summary>
    EndpointFailure = 1,

    /// <summary>The attempt never ended (cancelled at shutdown, or the worker crashed): nothing learned.</summary>
    Abandoned = 2,
}

/// <summary>The settings the circuit's decisions read (from <see cref="CircuitOptions"/>).</summary>
internal readonly record struct CircuitSettings(
    int FailureThreshold,
    double? FailureRatio,
    int MinimumThroughput,
    TimeSpan SamplingWindow,
    TimeSpan ProbeInterval,
    double ProbeMultiplier,
    TimeSpan MaxProbeInterval)
{
    public static CircuitSettings From(CircuitOptions o) => new(
        o.FailureThreshold, o.FailureRatio, o.MinimumThroughput, o.SamplingWindow, o.ProbeInterval, o.ProbeMultiplier, o.MaxProbeInterval);
}

/// <summary>
/// One endpoint's circuit, as a value: the pure state machine of the outage circuit. <see cref="Admit"/> decides what a
/// claimed record may do, <see cref="Record"/> folds in how an attempt ended; neither has side effects.
/// </summary>
/// <param name="Phase">The phase.</param>
/// <param name="ConsecutiveFailures">Endpoint failures since the last success (closed only).</param>
/// <param name="WindowStart">The start of the current sampling window.</param>
/// <param name="WindowAttempts">Attempts counted in the current window.</param>
/// <param name="WindowFailures">Endpoint failures counted in the current window.</param>
/// <param name="FailedProbes">Probes failed since the circuit opened.</param>
/// <param name="ProbeAt">When open: when the next probe is due; when half-open: when a probe that never reported is given up.</param>
/// <param name="OpenedAt">When the circuit last opened.</param>
internal readonly record struct CircuitState(
    CircuitPhase Phase,
    int ConsecutiveFailures,
    DateTimeOffset WindowStart,
    int WindowAttempts,
    int WindowFailures,
    int FailedProbes,
    DateTimeOffset ProbeAt,
    DateTimeOffset OpenedAt)
{
    /// <summary>A closed circuit with nothing counted.</summary>
    public static CircuitState Closed(DateTimeOffset now) => new(CircuitPhase.Closed, 0, now, 0, 0, 0, default, default);

    /// <summary>Decides what a claimed record may do now.</summary>
    /// <returns>The state after the decision (a probe turns open into half-open) and the decision.</returns>
    public (CircuitState State, CircuitAdmission Admission) Admit(DateTimeOffset now, CircuitSettings settings) => Phase switch
    {
        CircuitPhase.Closed => (this, CircuitAdmission.Attempt),
        _ when now >= ProbeAt => (this with { Phase = CircuitPhase.HalfOpen, ProbeAt = now + settings.MaxProbeInterval }, CircuitAdmission.Probe),
        _ => (this, CircuitAdmission.Hold),
    };

    /// <summary>Folds in how an attempt ended.</summary>
    /// <param name="result">How it ended.</param>
    /// <param name="wasProbe">Whether it was admitted as the probe.</param>
    /// <param name="now">When it ended.</param>
    /// <param name="settings">The circuit's settings.</param>
    /// <returns>The new state.</returns>
    public CircuitState Record(CircuitResult result, bool wasProbe, DateTimeOffset now, CircuitSettings settings)
    {
        switch (result)
        {
            case CircuitResult.EndpointUp:
                // Any answer closes: delivery resumes at full speed.
                return Phase == CircuitPhase.Closed ? CountInWindow(now, settings, failed: false) with { ConsecutiveFailures = 0 } : Closed(now);

            case CircuitResult.Abandoned:
                // A probe that never ended teaches nothing: the next record probes at once.
                return wasProbe && Phase == CircuitPhase.HalfOpen ? this with { Phase = CircuitPhase.Open, ProbeAt = now } : this;

            default:
                if (Phase != CircuitPhase.Closed)
                {
                    // A failed probe waits longer; a late failure of a call started before the circuit opened changes nothing.
                    return wasProbe
                        ? this with { Phase = CircuitPhase.Open, FailedProbes = FailedProbes + 1, ProbeAt = now + ProbeDelay(FailedProbes + 1, settings) }
                        : this;
                }

                CircuitState counted = CountInWindow(now, settings, failed: true) with { ConsecutiveFailures = ConsecutiveFailures + 1 };
                bool tooMany = counted.ConsecutiveFailures >= settings.FailureThreshold;
                bool tooHighRatio = settings.FailureRatio is { } ratio
                    && counted.WindowAttempts >= settings.MinimumThroughput
                    && counted.WindowFailures >= ratio * counted.WindowAttempts;
                return tooMany || tooHighRatio
                    ? counted with { Phase = CircuitPhase.Open, FailedProbes = 0, ProbeAt = now + ProbeDelay(0, settings), OpenedAt = now }
                    : counted;
        }
    }

    /// <summary>The wait before the next probe after <paramref name="failedProbes"/> failed ones:
    /// <c>ProbeInterval × ProbeMultiplier^failedProbes</c>, capped at <c>MaxProbeInterval</c>.</summary>
    public static TimeSpan ProbeDelay(int failedProbes, CircuitSettings settings)
    {
        double ticks = settings.ProbeInterval.Ticks * Math.Pow(settings.ProbeMultiplier, failedProbes);
        return ticks >= settings.MaxProbeInterval.Ticks ? settings.MaxProbeInterval : TimeSpan.FromTicks((long)ticks);
    }

    private CircuitState CountInWindow(DateTimeOffset now, CircuitSettings settings, bool failed)
    {
        CircuitState window = now - WindowStart >= settings.SamplingWindow
            ? this with { WindowStart = now, WindowAttempts = 0, WindowFailures = 0 }
            : this;
        return window with { WindowAttempts = window.WindowAttempts + 1, WindowFailures = window.WindowFailures + (failed ? 1 : 0) };
    }
}
