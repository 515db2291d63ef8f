using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using OrderOutbox.Diagnostics;
using OrderOutbox.Hosting;
using OrderOutbox.Processing;

namespace OrderOutbox.Tests.Support;

/// <summary>Builds the real engine over test parts.</summary>
internal static class Processors
{
    public static OutboxProcessor Create(
        IOutboxStore store,
        IDispatcher dispatcher,
        TimeProvider time,
        OutboxOptions? options = null,
        IEnumerable<IDeadLetterHandler>? deadLetterHandlers = null,
        OutboxMetrics? metrics = null,
        ILogger<OutboxProcessor>? logger = null,
        OutboxWakeUp? wakeUp = null)
    {
        options ??= new OutboxOptions();
        return new OutboxProcessor(
            store,
            dispatcher,
            new ExponentialBackoffPolicy(options.Backoff),
            deadLetterHandlers ?? [],
            Options.Create(options),
            time,
            wakeUp ?? new OutboxWakeUp(),
            metrics ?? new OutboxMetrics(null),
            logger ?? NullLogger<OutboxProcessor>.Instance);
    }
}

/// <summary>Waits for a condition that another thread makes true, with a generous deadline (never a timing assertion).</summary>
internal static class Eventually
{
    public static async Task TrueAsync(Func<bool> condition, string because, Action? step = null, int timeoutSeconds = 20)
    {
        var deadline = DateTime.UtcNow.AddSeconds(timeoutSeconds);
        while (!condition())
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException("Condition not met: " + because);
            }

            step?.Invoke();
            await Task.Delay(5);
        }
    }
}

/// <summary>A dead-letter handler that records what it is given.</summary>
internal sealed class RecordingDeadLetterHandler : IDeadLetterHandler
{
    public List<OutboxMessage> Received { get; } = [];

    public Exception? Throw { get; set; }

    public Task OnDeadLetteredAsync(OutboxMessage message, CancellationToken cancellationToken)
    {
        lock (Received)
        {
            Received.Add(message);
        }

        return Throw is null ? Task.CompletedTask : Task.FromException(Throw);
    }
}
