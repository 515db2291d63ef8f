namespace OrderOutbox.Tests.EndToEnd;

/// <summary>An <see cref="IDeadLetterHandler"/> registered in the host's DI that records every call.</summary>
internal sealed class RecordingDeadLetterHandler : IDeadLetterHandler
{
    public ObservedList<OutboxMessage> Calls { get; } = new();

    public Task OnDeadLetteredAsync(OutboxMessage message, CancellationToken cancellationToken)
    {
        Calls.Add(message);
        return Task.CompletedTask;
    }
}
