namespace OrderOutbox.Tests.Model;

/// <summary>How one dispatcher call of the model ends.</summary>
internal enum AnswerKind
{
    Success,
    Transient,
    Permanent,
    Throw,
}

/// <summary>One scripted call: how long it takes on the fake clock, and what it answers if it is not cut short first.</summary>
/// <param name="Kind">The answer.</param>
/// <param name="Delay">The call's duration on the fake clock (longer than the dispatch timeout: the engine times it out).</param>
/// <param name="RetryAfter">For <see cref="AnswerKind.Transient"/>, the wait the receiver asks for, or <see langword="null"/>.</param>
internal readonly record struct Answer(AnswerKind Kind, TimeSpan Delay, TimeSpan? RetryAfter)
{
    public override string ToString()
        => $"{Kind} after {Delay.TotalMilliseconds:0} ms" + (RetryAfter is { } r ? $" (Retry-After {r.TotalSeconds:0} s)" : string.Empty);
}

/// <summary>
/// The receiver's behaviour: a pure function of (seed, record index, attempt number), so a run's answers do not depend on
/// which processor makes the call or on thread timing. Each record has a profile (healthy, flaky, poison, dead, slow).
/// </summary>
internal sealed class ModelAnswers
{
    private readonly ulong _seed;
    private readonly TimeSpan _timeout;

    public ModelAnswers(int seed, TimeSpan dispatchTimeout)
    {
        _seed = (ulong)(uint)seed;
        _timeout = dispatchTimeout;
    }

    public Answer For(int recordIndex, int attempt)
    {
        ulong profileRoll = Mix(_seed, (ulong)recordIndex, 0) % 100;
        ulong roll = Mix(_seed, (ulong)recordIndex, (ulong)attempt);
        int p = (int)(roll % 100);
        int delayRoll = (int)((roll >> 8) % 100);
        double fraction = ((roll >> 16) % 10_000) / 10_000.0;
        bool retryAfter = ((roll >> 32) % 4) == 0;

        TimeSpan delay = delayRoll switch
        {
            < 55 => Millis(1 + (fraction * _timeout.TotalMilliseconds / 4)),
            < 85 => Millis((_timeout.TotalMilliseconds / 4) + (fraction * ((_timeout.TotalMilliseconds * 3 / 4) - 2))),
            _ => Millis(_timeout.TotalMilliseconds + 1 + (fraction * _timeout.TotalMilliseconds * 2)), // timed out by the engine
        };

        return profileRoll switch
        {
            < 50 => p < 85 ? Ok(delay) : Transient(delay, retryAfter, roll),                                        // healthy
            < 65 => p < 40 ? Ok(delay) : p < 90 ? Transient(delay, retryAfter, roll) : new Answer(AnswerKind.Throw, delay, null), // flaky
            < 75 => attempt == 1 && p < 30 ? Transient(delay, retryAfter, roll) : new Answer(AnswerKind.Permanent, delay, null), // poison
            < 85 => p < 70 ? Transient(delay, retryAfter, roll) : new Answer(AnswerKind.Throw, delay, null),              // dead receiver
            _ => p < 60 ? new Answer(AnswerKind.Success, Millis(_timeout.TotalMilliseconds + 1 + (fraction * 500)), null) : Ok(delay), // slow: often times out
        };
    }

    private static Answer Ok(TimeSpan delay) => new(AnswerKind.Success, delay, null);

    private static Answer Transient(TimeSpan delay, bool withRetryAfter, ulong roll)
        => new(AnswerKind.Transient, delay, withRetryAfter ? TimeSpan.FromSeconds(1 + ((roll >> 40) % 120)) : null);

    private static TimeSpan Millis(double milliseconds) => TimeSpan.FromMilliseconds(Math.Max(1, Math.Floor(milliseconds)));

    /// <summary>SplitMix64 over the three inputs: stable across processes (unlike <see cref="HashCode"/>).</summary>
    private static ulong Mix(ulong a, ulong b, ulong c)
    {
        ulong z = (a * 0x9E3779B97F4A7C15UL) ^ (b * 0xBF58476D1CE4E5B9UL) ^ (c * 0x94D049BB133111EBUL) ^ 0x2545F4914F6CDD1DUL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }
}
