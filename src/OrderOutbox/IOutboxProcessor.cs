namespace OrderOutbox;

/// <summary>
/// Runs dispatch cycles on demand: claim due records, dispatch them, record the outcomes — for hosts that
/// schedule work themselves (set <see cref="OutboxOptions.RunDispatcher"/> to <see langword="false"/>) and for tests.
/// The hosted dispatcher uses the same engine.
/// </summary>
public interface IOutboxProcessor
{
    /// <summary>
    /// Runs one cycle: claims due records and dispatches them, claiming again while claims come back full
    /// (unless <see cref="OutboxOptions.OneBatchPerCycle"/>), and returns when every claimed record's outcome is
    /// recorded.
    /// </summary>
    /// <param name="cancellationToken">Stops claiming; records claimed but not dispatched are released.</param>
    /// <returns>The number of records attempted.</returns>
    Task<int> ProcessOnceAsync(CancellationToken cancellationToken = default);
}
