namespace OrderOutbox;

/// <summary>
/// Called once for each record that becomes <c>DEAD_LETTER</c> (retries exhausted or a permanent error), after
/// the new status is stored — for alerting. Register any number with
/// <c>services.AddSingleton&lt;IDeadLetterHandler, MyAlert&gt;()</c>; each is called in turn, on a background loop of
/// its own, so a slow handler never delays outcome writes or cycles. Each call is bounded by
/// <see cref="OutboxOptions.DeadLetterHandlerTimeout"/> (default 30 s). An exception from a handler, or a call that
/// outlives the limit, is logged and does not change the record.
/// </summary>
public interface IDeadLetterHandler
{
    /// <summary>Handles a record that was just dead-lettered.</summary>
    /// <param name="message">The record, with its new <see cref="OutboxMessage.Status"/>, retry count and last error.</param>
    /// <param name="cancellationToken">Fires when <see cref="OutboxOptions.DeadLetterHandlerTimeout"/> elapses or the host gives up on shutdown.</param>
    /// <returns>A task that completes when the handler is done.</returns>
    Task OnDeadLetteredAsync(OutboxMessage message, CancellationToken cancellationToken);
}
