using System.Threading.Channels;
using Microsoft.Extensions.Logging;

namespace OrderOutbox.Processing;

/// <summary>
/// Calls the registered <see cref="IDeadLetterHandler"/>s for records whose <c>DEAD_LETTER</c> outcome was stored — on
/// its own background loop, never inside the outcome writer, so a slow or hung handler delays no outcome write and no
/// cycle. Each call is bounded by <see cref="OutboxOptions.DeadLetterHandlerTimeout"/>: its token fires then, and a
/// handler that ignores it is left behind (logged) so the next one runs.
/// </summary>
internal sealed partial class DeadLetterNotifier
{
    private readonly IDeadLetterHandler[] _handlers;
    private readonly TimeSpan _timeout;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly Channel<(OutboxMessage Message, CancellationToken HostStopping)> _queue =
        Channel.CreateUnbounded<(OutboxMessage, CancellationToken)>(new UnboundedChannelOptions { SingleReader = true });
    private int _started;

    public DeadLetterNotifier(IDeadLetterHandler[] handlers, TimeSpan timeout, TimeProvider time, ILogger logger)
    {
        _handlers = handlers;
        _timeout = timeout;
        _time = time;
        _logger = logger;
    }

    /// <summary>Whether any handler is registered (when none is, dead letters are not even collected).</summary>
    public bool HasHandlers => _handlers.Length > 0;

    /// <summary>Queues a dead-lettered record for the handlers and returns at once.</summary>
    /// <param name="deadLetter">The record, with its new status.</param>
    /// <param name="hostStopping">Fires when the host gives up on shutdown; handlers see it through their token.</param>
    public void Enqueue(OutboxMessage deadLetter, CancellationToken hostStopping)
    {
        _queue.Writer.TryWrite((deadLetter, hostStopping));
        if (Interlocked.Exchange(ref _started, 1) == 0)
        {
            _ = Task.Run(RunAsync, CancellationToken.None);
        }
    }

    private async Task RunAsync()
    {
        ChannelReader<(OutboxMessage Message, CancellationToken HostStopping)> reader = _queue.Reader;
        while (await reader.WaitToReadAsync().ConfigureAwait(false))
        {
            while (reader.TryRead(out (OutboxMessage Message, CancellationToken HostStopping) item))
            {
                foreach (IDeadLetterHandler handler in _handlers)
                {
                    await CallAsync(handler, item.Message, item.HostStopping).ConfigureAwait(false);
                }
            }
        }
    }

    private async Task CallAsync(IDeadLetterHandler handler, OutboxMessage deadLetter, CancellationToken hostStopping)
    {
        using var limit = new CancellationTokenSource(_timeout, _time);
        using CancellationTokenRegistration link = hostStopping.UnsafeRegister(static s => ((CancellationTokenSource)s!).Cancel(), limit);
        try
        {
            await handler.OnDeadLetteredAsync(deadLetter, limit.Token).WaitAsync(_timeout, _time, limit.Token).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            LogHandlerTimedOut(handler.GetType().FullName, deadLetter.Id, _timeout);
        }
        catch (OperationCanceledException) when (limit.IsCancellationRequested)
        {
            LogHandlerTimedOut(handler.GetType().FullName, deadLetter.Id, _timeout);
        }
        catch (Exception ex)
        {
            LogHandlerFailed(ex, handler.GetType().FullName, deadLetter.Id);
        }
    }

    /// <summary>The record as a dead-letter handler sees it: its new status, retry count and error, no lease.</summary>
    /// <param name="message">The claimed record.</param>
    /// <param name="outcome">Its stored <c>DEAD_LETTER</c> outcome.</param>
    /// <returns>The record.</returns>
    public static OutboxMessage ToDeadLetter(OutboxMessage message, in OutboxOutcome outcome) => new()
    {
        Id = message.Id,
        MessageType = message.MessageType,
        AggregateId = message.AggregateId,
        Payload = message.Payload,
        Headers = message.Headers,
        Status = OutboxStatus.DeadLetter,
        RetryCount = outcome.RetryCount,
        CreatedAt = message.CreatedAt,
        NextAttemptAt = message.NextAttemptAt,
        LastAttemptAt = outcome.AttemptedAt,
        SentAt = null,
        LastError = outcome.LastError,
        LeaseOwner = null,
        LeaseExpiresAt = null,
    };
}
