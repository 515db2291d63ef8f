using System.Diagnostics;
using Xunit;

namespace OrderOutbox.Tests.EndToEnd;

/// <summary>
/// A thread-safe, append-only list that tests can wait on: <see cref="WaitForAsync"/> re-checks its condition at every
/// <see cref="Add"/> (no polling, no sleeping) and fails the test, describing what it saw, when the deadline passes first.
/// </summary>
/// <typeparam name="T">The item type.</typeparam>
internal sealed class ObservedList<T>
{
    private readonly object _gate = new();
    private readonly List<T> _items = [];
    private TaskCompletionSource _changed = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>A snapshot of the items so far, in the order they were added.</summary>
    public IReadOnlyList<T> Snapshot()
    {
        lock (_gate)
        {
            return [.. _items];
        }
    }

    public void Add(T item)
    {
        TaskCompletionSource changed;
        lock (_gate)
        {
            _items.Add(item);
            changed = _changed;
            _changed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        }

        changed.TrySetResult();
    }

    /// <summary>Waits until <paramref name="condition"/> holds for the items added so far.</summary>
    /// <param name="condition">The condition, evaluated on a snapshot.</param>
    /// <param name="timeout">The deadline; the test fails when it passes first.</param>
    /// <param name="what">What is awaited, for the failure message.</param>
    /// <param name="describe">Describes the snapshot for the failure message.</param>
    /// <param name="cancellationToken">The test's token.</param>
    /// <returns>The snapshot for which the condition held.</returns>
    public async Task<IReadOnlyList<T>> WaitForAsync(
        Func<IReadOnlyList<T>, bool> condition,
        TimeSpan timeout,
        string what,
        Func<IReadOnlyList<T>, string> describe,
        CancellationToken cancellationToken)
    {
        long started = Stopwatch.GetTimestamp();
        while (true)
        {
            Task changed;
            IReadOnlyList<T> snapshot;
            lock (_gate)
            {
                snapshot = [.. _items];
                changed = _changed.Task;
            }

            if (condition(snapshot))
            {
                return snapshot;
            }

            TimeSpan left = timeout - Stopwatch.GetElapsedTime(started);
            if (left <= TimeSpan.Zero)
            {
                Assert.Fail($"Timed out after {timeout.TotalSeconds:0.#} s waiting for {what}; saw {describe(snapshot)}.");
            }

            try
            {
                await changed.WaitAsync(left, cancellationToken);
            }
            catch (TimeoutException)
            {
                // the loop re-checks once more, then reports
            }
        }
    }
}
