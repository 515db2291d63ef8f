namespace OrderOutbox.FaultInjection.Tests.Harness;

/// <summary>
/// What the receiver does to each request. Decisions are a pure function of the seed, the order number in the
/// body and the attempt number of that message at the receiver, so a run is reproducible (apart from timing).
/// Rates are cumulative slices of [0, 1): 503, then hang, then reset, then 429; the rest succeed.
/// </summary>
internal sealed record FaultPlan
{
    public int Seed { get; init; } = 20_260_525;

    /// <summary>Share of requests answered 503.</summary>
    public double ServiceUnavailableRate { get; init; }

    /// <summary>Share of requests that answer only after <see cref="HangFor"/> (longer than the dispatch timeout).</summary>
    public double HangRate { get; init; }

    /// <summary>Share of requests whose connection is reset (<c>HttpContext.Abort()</c>).</summary>
    public double ResetRate { get; init; }

    /// <summary>Share of requests answered 429 with <c>Retry-After: </c><see cref="RetryAfterSeconds"/>.</summary>
    public double TooManyRequestsRate { get; init; }

    public int RetryAfterSeconds { get; init; } = 1;

    public TimeSpan HangFor { get; init; } = TimeSpan.FromSeconds(4);

    /// <summary>Latency of successful answers, uniformly between the two bounds.</summary>
    public TimeSpan MinLatency { get; init; }

    public TimeSpan MaxLatency { get; init; }

    /// <summary>Whether payloads marked poison get a permanent 400 (the receiver is "fixed" when this is false).</summary>
    public bool RejectPoison { get; init; }

    /// <summary>Whether the receiver is down: every request fails (503, reset or 429 in turn).</summary>
    public bool Down { get; init; }

    public static FaultPlan Healthy { get; } = new();

    /// <summary>A uniform number in [0, 1) for (seed, order, attempt, salt): SplitMix64, stable across runs and processes.</summary>
    public double Draw(long orderNo, int attempt, int salt)
    {
        unchecked
        {
            ulong x = (ulong)Seed * 0x9E3779B97F4A7C15UL;
            x ^= (ulong)orderNo * 0xBF58476D1CE4E5B9UL;
            x ^= ((ulong)attempt << 32) ^ (ulong)salt;
            x += 0x9E3779B97F4A7C15UL;
            x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9UL;
            x = (x ^ (x >> 27)) * 0x94D049BB133111EBUL;
            x ^= x >> 31;
            return (x >> 11) * (1.0 / (1UL << 53));
        }
    }
}
