namespace OrderOutbox.Processing;

/// <summary>
/// A per-worker timeout token source, reset between calls instead of allocated per call. It is created with the
/// engine's <see cref="TimeProvider"/> (so a fake clock drives timeouts) and is cancelled by the host's abort token.
/// </summary>
internal sealed class TimeoutSource : IDisposable
{
    private readonly TimeProvider _timeProvider;
    private readonly CancellationToken _abort;
    private CancellationTokenSource _cts;
    private CancellationTokenRegistration _registration;

    public TimeoutSource(TimeProvider timeProvider, CancellationToken abort)
    {
        _timeProvider = timeProvider;
        _abort = abort;
        (_cts, _registration) = Create();
    }

    /// <summary>Arms the timer for one call and returns its token (fires on timeout or abort).</summary>
    /// <param name="timeout">The call's time limit.</param>
    /// <returns>The call's token.</returns>
    public CancellationToken Start(TimeSpan timeout)
    {
        _cts.CancelAfter(timeout);
        return _cts.Token;
    }

    /// <summary>Disarms the timer after a call; a source that fired is replaced.</summary>
    public void Stop()
    {
        if (!_cts.TryReset())
        {
            _registration.Dispose();
            _cts.Dispose();
            (_cts, _registration) = Create();
        }
    }

    public void Dispose()
    {
        _registration.Dispose();
        _cts.Dispose();
    }

    private (CancellationTokenSource Source, CancellationTokenRegistration Registration) Create()
    {
        var cts = new CancellationTokenSource(Timeout.InfiniteTimeSpan, _timeProvider);
        CancellationTokenRegistration registration = _abort.CanBeCanceled
            ? _abort.UnsafeRegister(static s => ((CancellationTokenSource)s!).Cancel(), cts)
            : default;
        return (cts, registration);
    }
}
