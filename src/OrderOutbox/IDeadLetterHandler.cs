namespace OrderOutbox;

/// <summary>
/// Called once for each record that becomes <c>DEAD_LETTER</c> (retries exhausted or a permanent error), after
/// the new status is stored — for alerting. Register any number with
/// <c>services.AddSingleton&lt;IDeadLetterHandler, MyAlert&gt;()</c>; each is called in turn.
/// An exception from a handler is logged and does not change the record.
/// </summary>
public interface IDeadLetterHandler
{
    /// <summary>Handles a record that was just dead-lettered.</summary>
    /// <param name="message">The record, with its new <see cref="OutboxMessage.Status"/>, retry count and last error.</param>
    /// <param name="cancellationToken">Fires when the host stops.</param>
    /// <returns>A task that completes when the handler is done.</returns>
    Task OnDeadLetteredAsync(OutboxMessage message, CancellationToken cancellationToken);
}
