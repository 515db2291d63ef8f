namespace OrderOutbox.Tests.Processing;

/// <summary>An <see cref="IOutboxStore"/> over another store whose outcome writes a test can make fail.</summary>
internal sealed class ScriptedStore : IOutboxStore
{
    private readonly IOutboxStore _inner;
    private int _completeCalls;

    public ScriptedStore(IOutboxStore inner) => _inner = inner;

    /// <summary>Asked before each <see cref="CompleteAsync"/>: an exception to throw instead of writing, or <see langword="null"/>.</summary>
    public Func<IReadOnlyList<OutboxOutcome>, int, Exception?>? CompleteFailure { get; set; }

    /// <summary>Awaited before each <see cref="CompleteAsync"/>.</summary>
    public Func<Task>? BeforeComplete { get; set; }

    /// <summary>How many times <see cref="CompleteAsync"/> was called.</summary>
    public int CompleteCalls => Volatile.Read(ref _completeCalls);

    public Task EnqueueAsync(System.Data.Common.DbTransaction transaction, OutboxEntry entry, CancellationToken cancellationToken = default)
        => _inner.EnqueueAsync(transaction, entry, cancellationToken);

    public Task<IReadOnlyList<OutboxMessage>> ClaimAsync(int batchSize, string leaseOwner, DateTimeOffset now, DateTimeOffset leaseUntil, CancellationToken cancellationToken = default)
        => _inner.ClaimAsync(batchSize, leaseOwner, now, leaseUntil, cancellationToken);

    public async Task<IReadOnlyCollection<Guid>> CompleteAsync(IReadOnlyList<OutboxOutcome> outcomes, CancellationToken cancellationToken = default)
    {
        int call = Interlocked.Increment(ref _completeCalls);
        if (BeforeComplete is { } before)
        {
            await before();
        }

        if (CompleteFailure?.Invoke(outcomes, call) is { } failure)
        {
            throw failure;
        }

        return await _inner.CompleteAsync(outcomes, cancellationToken);
    }

    public Task ReleaseAsync(IReadOnlyList<OutboxMessage> messages, CancellationToken cancellationToken = default)
        => _inner.ReleaseAsync(messages, cancellationToken);

    public Task EnsureSchemaAsync(CancellationToken cancellationToken = default) => _inner.EnsureSchemaAsync(cancellationToken);
}
