namespace OrderOutbox.Dispatching;

/// <summary>
/// The request budget of one endpoint, shared by every worker of this instance: a token bucket of
/// <c>burst</c> tokens refilled at <c>rate</c> per second, and a pause that a <c>429</c> with <c>Retry-After</c> sets
/// for the whole endpoint. Driven only by the <see cref="TimeProvider"/>, so a fake clock controls it in tests.
/// </summary>
/// <remarks>
/// A caller that finds the bucket empty reserves the next token (the balance goes below zero) and waits for it, so
/// waiting callers are served in order without polling; a caller cancelled while waiting gives its token back.
/// <c>System.Threading.RateLimiting</c> is not used: it is not in the .NET shared framework (only in ASP.NET Core's),
/// so it would be a new dependency of the package, and its token bucket replenishes on its own timer and clock,
/// which a <see cref="TimeProvider"/> cannot drive.
/// </remarks>
internal sealed class EndpointRateLimiter
{
    private readonly TimeProvider _timeProvider;
    private readonly double _ratePerTick;
    private readonly double _burst;
    private readonly object _gate = new();
    private double _tokens;
    private long _refilledAt;
    private long _pausedUntil;

    /// <summary>Creates a limiter; <paramref name="rate"/> 0 means no rate limit (only the <c>Retry-After</c> pause).</summary>
    public EndpointRateLimiter(TimeProvider timeProvider, double rate, int burst)
    {
        _timeProvider = timeProvider;
        _ratePerTick = rate / timeProvider.TimestampFrequency;
        _burst = burst > 0 ? burst : Math.Max(1, Math.Ceiling(rate));
        _tokens = _burst;
        _refilledAt = timeProvider.GetTimestamp();
        _pausedUntil = _refilledAt;
    }

    /// <summary>Whether a token bucket applies (a rate was configured).</summary>
    public bool IsRateLimited => _ratePerTick > 0;

    /// <summary>How long the endpoint is still paused by a <c>Retry-After</c>; <see cref="TimeSpan.Zero"/> when it is not.</summary>
    public TimeSpan PausedFor()
    {
        long now = _timeProvider.GetTimestamp();
        long until = Volatile.Read(ref _pausedUntil);
        return until > now ? _timeProvider.GetElapsedTime(now, until) : TimeSpan.Zero;
    }

    /// <summary>Pauses the whole endpoint for <paramref name="duration"/> (a longer pause already set is kept).</summary>
    public void Pause(TimeSpan duration)
    {
        if (duration <= TimeSpan.Zero)
        {
            return;
        }

        long until = _timeProvider.GetTimestamp() + (long)(duration.TotalSeconds * _timeProvider.TimestampFrequency);
        lock (_gate)
        {
            if (until > _pausedUntil)
            {
                _pausedUntil = until;
            }
        }
    }

    /// <summary>Takes a token, waiting (through the <see cref="TimeProvider"/>) until one is available.</summary>
    public ValueTask AcquireAsync(CancellationToken cancellationToken)
    {
        if (!IsRateLimited)
        {
            return ValueTask.CompletedTask;
        }

        TimeSpan wait = Reserve();
        return wait <= TimeSpan.Zero ? ValueTask.CompletedTask : WaitAsync(wait, cancellationToken);
    }

    /// <summary>Takes a token now and returns how long to wait before it may be used (zero when one was in the bucket).</summary>
    internal TimeSpan Reserve()
    {
        lock (_gate)
        {
            long now = _timeProvider.GetTimestamp();
            _tokens = Math.Min(_burst, _tokens + ((now - _refilledAt) * _ratePerTick));
            _refilledAt = now;
            _tokens -= 1;
            return _tokens >= 0 ? TimeSpan.Zero : TimeSpan.FromSeconds(-_tokens / (_ratePerTick * _timeProvider.TimestampFrequency));
        }
    }

    private async ValueTask WaitAsync(TimeSpan wait, CancellationToken cancellationToken)
    {
        try
        {
            await Task.Delay(wait, _timeProvider, cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            lock (_gate)
            {
                _tokens = Math.Min(_burst, _tokens + 1);
            }

            throw;
        }
    }
}
