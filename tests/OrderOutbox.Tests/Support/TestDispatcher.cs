using System.Collections.Concurrent;

namespace OrderOutbox.Tests.Support;

/// <summary>An <see cref="IDispatcher"/> whose answer a test scripts; it records every attempt and its time.</summary>
internal sealed class TestDispatcher : IDispatcher
{
    private readonly TimeProvider _time;
    private readonly Func<OutboxMessage, int, CancellationToken, ValueTask<DispatchResult>> _handler;
    private readonly ConcurrentDictionary<Guid, int> _attemptsPerMessage = new();

    public TestDispatcher(TimeProvider time, Func<OutboxMessage, int, CancellationToken, ValueTask<DispatchResult>> handler)
    {
        _time = time;
        _handler = handler;
    }

    public TestDispatcher(TimeProvider time, Func<OutboxMessage, int, DispatchResult> handler)
        : this(time, (m, n, _) => ValueTask.FromResult(handler(m, n)))
    {
    }

    public ConcurrentQueue<(Guid Id, DateTimeOffset At)> Attempts { get; } = new();

    public List<DateTimeOffset> AttemptTimes(Guid id) => Attempts.Where(a => a.Id == id).Select(a => a.At).ToList();

    public ValueTask<DispatchResult> DispatchAsync(OutboxMessage message, CancellationToken cancellationToken)
    {
        Attempts.Enqueue((message.Id, _time.GetUtcNow()));
        int attempt = _attemptsPerMessage.AddOrUpdate(message.Id, 1, static (_, n) => n + 1);
        return _handler(message, attempt, cancellationToken);
    }
}
