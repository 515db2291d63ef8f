using System.ComponentModel.DataAnnotations;

namespace OrderOutbox;

/// <summary>
/// The outage circuit of each endpoint (section <c>OrderOutbox:Circuit</c>). When an endpoint keeps failing —
/// <see cref="FailureThreshold"/> transient failures in a row, or (when set) a <see cref="FailureRatio"/> of the attempts
/// in a <see cref="SamplingWindow"/> — the circuit opens: this instance stops attempting that endpoint, its records are not
/// claimed (or are released unattempted) and no retry is spent on them. One probe record is tried after
/// <see cref="ProbeInterval"/>, then after intervals growing by <see cref="ProbeMultiplier"/> up to
/// <see cref="MaxProbeInterval"/>; a failed probe is released without spending its retry. The first success closes the
/// circuit and delivery resumes at full speed. A permanent failure (the endpoint answered and refused the message) counts as
/// the endpoint being up.
/// </summary>
public sealed class CircuitOptions
{
    /// <summary>The default <see cref="FailureThreshold"/>: 5.</summary>
    public const int DefaultFailureThreshold = 5;

    /// <summary>The default <see cref="MinimumThroughput"/>: 20.</summary>
    public const int DefaultMinimumThroughput = 20;

    /// <summary>The default <see cref="SamplingWindow"/>: 30 seconds.</summary>
    public static readonly TimeSpan DefaultSamplingWindow = TimeSpan.FromSeconds(30);

    /// <summary>The default <see cref="ProbeInterval"/>: 10 seconds.</summary>
    public static readonly TimeSpan DefaultProbeInterval = TimeSpan.FromSeconds(10);

    /// <summary>The default <see cref="MaxProbeInterval"/>: 5 minutes.</summary>
    public static readonly TimeSpan DefaultMaxProbeInterval = TimeSpan.FromMinutes(5);

    /// <summary>
    /// Whether the circuit is on. Off, every record is attempted on its own schedule and an outage longer than the retry
    /// schedule dead-letters the backlog.
    /// </summary>
    /// <value>Default <see langword="false"/>.</value>
    public bool Enabled { get; set; }

    /// <summary>The number of transient failures in a row (no success between them) that opens the circuit.</summary>
    /// <value>Default 5; allowed 1 to 10,000.</value>
    [Range(1, 10_000)]
    public int FailureThreshold { get; set; } = DefaultFailureThreshold;

    /// <summary>
    /// The share of transient failures among the attempts of one <see cref="SamplingWindow"/> that opens the circuit (once
    /// the window holds <see cref="MinimumThroughput"/> attempts). <see langword="null"/> uses <see cref="FailureThreshold"/> only.
    /// </summary>
    /// <value>Default <see langword="null"/>; allowed 0.01 to 1.</value>
    [Range(0.01, 1.0)]
    public double? FailureRatio { get; set; }

    /// <summary>The fewest attempts in a <see cref="SamplingWindow"/> before <see cref="FailureRatio"/> is judged.</summary>
    /// <value>Default 20; allowed 1 to 100,000.</value>
    [Range(1, 100_000)]
    public int MinimumThroughput { get; set; } = DefaultMinimumThroughput;

    /// <summary>The length of the window <see cref="FailureRatio"/> is measured over (a fixed window, restarted when it ends).</summary>
    /// <value>Default 30 seconds; allowed 1 second to 1 hour.</value>
    [Range(typeof(TimeSpan), "00:00:01", "01:00:00")]
    public TimeSpan SamplingWindow { get; set; } = DefaultSamplingWindow;

    /// <summary>
    /// The wait after the circuit opens before the first probe. The effective wait is at least the time to the next cycle
    /// (<see cref="OutboxOptions.PollingInterval"/>, or a wake-up).
    /// </summary>
    /// <value>Default 10 seconds; allowed 100 milliseconds to 1 hour.</value>
    [Range(typeof(TimeSpan), "00:00:00.100", "01:00:00")]
    public TimeSpan ProbeInterval { get; set; } = DefaultProbeInterval;

    /// <summary>The factor between the waits before consecutive probes.</summary>
    /// <value>Default 2; allowed 1 to 10.</value>
    [Range(1.0, 10.0)]
    public double ProbeMultiplier { get; set; } = 2.0;

    /// <summary>The longest wait between two probes; must be at least <see cref="ProbeInterval"/>.</summary>
    /// <value>Default 5 minutes; allowed 100 milliseconds to 1 day.</value>
    [Range(typeof(TimeSpan), "00:00:00.100", "1.00:00:00")]
    public TimeSpan MaxProbeInterval { get; set; } = DefaultMaxProbeInterval;
}
