using System.Collections.Concurrent;

namespace OrderOutbox.Sample;

/// <summary>
/// The sample's <see cref="IDeadLetterHandler"/>: where a real service would page someone, it keeps the alert
/// for the console. Called once per record that becomes DEAD_LETTER.
/// </summary>
internal sealed class DeadLetterAlerts : IDeadLetterHandler
{
    private readonly ConcurrentQueue<string> _alerts = new();

    public int Count => _alerts.Count;

    public Task OnDeadLetteredAsync(OutboxMessage message, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(message);
        _alerts.Enqueue($"dead letter: {message.MessageType} for {message.AggregateId} after {message.RetryCount} failed attempt(s): {OneLine(message.LastError)}");
        return Task.CompletedTask;
    }

    /// <summary>The alerts so far, oldest first.</summary>
    public IReadOnlyList<string> ToList() => _alerts.ToArray();

    internal static string OneLine(string? text)
    {
        if (string.IsNullOrEmpty(text))
        {
            return "(no error text)";
        }

        text = text.ReplaceLineEndings(" ");
        return text.Length <= 160 ? text : string.Concat(text.AsSpan(0, 157), "...");
    }
}
