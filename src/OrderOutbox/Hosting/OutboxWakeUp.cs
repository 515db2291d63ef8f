namespace OrderOutbox.Hosting;

/// <summary>
/// Wakes the dispatcher before its polling interval elapses. The PostgreSQL store calls <see cref="Notify"/> when a
/// <c>LISTEN</c> notification says a record was committed; anything else that knows new work is due may call it too.
/// Registered as a singleton by <c>AddOrderOutbox</c>.
/// </summary>
public sealed class OutboxWakeUp
{
    private readonly object _gate = new();
    private TaskCompletionSource<bool> _signal = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Wakes the dispatcher if it is waiting; otherwise makes its next wait return at once.</summary>
    public void Notify()
    {
        lock (_gate)
        {
            _signal.TrySetResult(true);
        }
    }

    /// <summary>
    /// Returns a task that completes at the next <see cref="Notify"/> (or at once if one is pending), and clears it.
    /// Used by the dispatcher loop.
    /// </summary>
    /// <returns>A task that completes on the next notification.</returns>
    internal Task WaitAsync()
    {
        lock (_gate)
        {
            if (_signal.Task.IsCompleted)
            {
                _signal = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
                return Task.CompletedTask;
            }

            return _signal.Task;
        }
    }

    /// <summary>Clears a pending notification (called when a cycle starts, since it will see all committed work).</summary>
    internal void Reset()
    {
        lock (_gate)
        {
            if (_signal.Task.IsCompleted)
            {
                _signal = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
            }
        }
    }
}
