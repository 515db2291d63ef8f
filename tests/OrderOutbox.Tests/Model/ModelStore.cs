using System.Data.Common;

namespace OrderOutbox.Tests.Model;

/// <summary>
/// One process's view of the shared store: every call goes to the real store and its result is journalled in the
/// <see cref="ModelTrace"/>; once the process has crashed, no call reaches the store and none returns.
/// </summary>
internal sealed class ModelStore(IOutboxStore inner, ModelProcess process, ModelTrace trace, ModelActivity activity) : IOutboxStore
{
    public Task EnqueueAsync(DbTransaction transaction, OutboxEntry entry, CancellationToken cancellationToken = default)
        => inner.EnqueueAsync(transaction, entry, cancellationToken);

    public async Task<IReadOnlyList<OutboxMessage>> ClaimAsync(int batchSize, string leaseOwner, DateTimeOffset now, DateTimeOffset leaseUntil, CancellationToken cancellationToken = default)
    {
        if (process.Crashed)
        {
            return await ModelProcess.Never<IReadOnlyList<OutboxMessage>>();
        }

        IReadOnlyList<OutboxMessage> batch;
        activity.Enter();
        try
        {
            batch = await inner.ClaimAsync(batchSize, leaseOwner, now, leaseUntil, cancellationToken);
            trace.Claimed(process.Id, leaseOwner, now, leaseUntil, batch);
        }
        finally
        {
            activity.Exit();
        }

        return await SurviveAsync(batch, "its claim committed");
    }

    public async Task<IReadOnlyCollection<Guid>> CompleteAsync(IReadOnlyList<OutboxOutcome> outcomes, CancellationToken cancellationToken = default)
    {
        if (process.Crashed)
        {
            return await ModelProcess.Never<IReadOnlyCollection<Guid>>();
        }

        IReadOnlyCollection<Guid> rejected;
        activity.Enter();
        try
        {
            rejected = await inner.CompleteAsync(outcomes, cancellationToken);
            trace.Completed(process.Id, outcomes, rejected);
        }
        finally
        {
            activity.Exit();
        }

        return await SurviveAsync(rejected, $"{outcomes.Count} outcomes committed");
    }

    public async Task ReleaseAsync(IReadOnlyList<OutboxMessage> messages, CancellationToken cancellationToken = default)
    {
        if (process.Crashed)
        {
            await ModelProcess.Never<bool>();
        }

        activity.Enter();
        try
        {
            await inner.ReleaseAsync(messages, cancellationToken);
            trace.Released(process.Id, messages);
        }
        finally
        {
            activity.Exit();
        }

        await SurviveAsync(true, $"{messages.Count} releases committed");
    }

    public Task EnsureSchemaAsync(CancellationToken cancellationToken = default) => inner.EnsureSchemaAsync(cancellationToken);

    private async Task<T> SurviveAsync<T>(T result, string what)
    {
        if (!process.StrikesNow())
        {
            return result;
        }

        int held = trace.Crashed(process.Id);
        trace.Note($"P{process.Id} crashed right after a store call ({what}), holding {held} leases");
        return await ModelProcess.Never<T>();
    }
}
