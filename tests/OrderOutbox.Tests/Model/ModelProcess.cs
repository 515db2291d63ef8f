namespace OrderOutbox.Tests.Model;

/// <summary>
/// The life of one simulated dispatcher process. A crash is final: from then on its store calls and dispatcher calls
/// never return (the engine's tasks are abandoned, as a killed process's would be), so nothing it does reaches the
/// store or the receiver any more. A crash can also be armed to strike right after the next store call has run in the
/// database — the claim or the outcomes are committed, but the process dies before it sees the result.
/// </summary>
internal sealed class ModelProcess(int id)
{
    private readonly object _gate = new();
    private TaskCompletionSource? _paused;
    private volatile bool _crashed;
    private volatile bool _armed;
    private volatile bool _abortRequested;

    public int Id { get; } = id;

    public bool Crashed => _crashed;

    /// <summary>Whether a forced stop cancelled the calls in flight (a call cancelled then was aborted, not timed out).</summary>
    public bool AbortRequested => _abortRequested;

    public void RequestAbort() => _abortRequested = true;

    public bool Paused
    {
        get
        {
            lock (_gate)
            {
                return _paused is not null;
            }
        }
    }

    public void Crash() => _crashed = true;

    /// <summary>Freezes the process (a long GC pause, a frozen VM): its store and receiver calls wait at the gate.</summary>
    public void Pause()
    {
        lock (_gate)
        {
            _paused ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        }
    }

    public void Resume()
    {
        TaskCompletionSource? paused;
        lock (_gate)
        {
            paused = _paused;
            _paused = null;
        }

        paused?.SetResult();
    }

    /// <summary>Completes at once unless the process is frozen; then when it resumes.</summary>
    public Task WhileFrozenAsync()
    {
        lock (_gate)
        {
            return _paused?.Task ?? Task.CompletedTask;
        }
    }

    public void ArmCrashAfterNextStoreCall() => _armed = true;

    /// <summary>Called after each store call ran: true if an armed crash strikes now.</summary>
    public bool StrikesNow()
    {
        if (!_armed)
        {
            return false;
        }

        _armed = false;
        _crashed = true;
        return true;
    }

    /// <summary>A task that never completes: what a dead process waits on.</summary>
    public static Task<T> Never<T>() => new TaskCompletionSource<T>(TaskCreationOptions.RunContinuationsAsynchronously).Task;
}

/// <summary>Store calls in flight in the database, across every live process (the driver waits for zero before a step).</summary>
internal sealed class ModelActivity
{
    private int _running;

    public int Running => Volatile.Read(ref _running);

    public void Enter() => Interlocked.Increment(ref _running);

    public void Exit() => Interlocked.Decrement(ref _running);
}
