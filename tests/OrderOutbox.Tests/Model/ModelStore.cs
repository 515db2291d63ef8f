using System.Data.Common;

namespace OrderOutbox.Tests.Model;

/// <summary>
/// One process's view of the shared store: every call goes to the real store and its result is journalled in the
/// <see cref="ModelTrace"/>. Once the process has crashed, no call reaches the store and none returns; while it is
/// frozen, calls wait before and after the database. With <paramref name="blips"/>, a claim or outcome write fails now
/// and then before reaching the database (never twice in a row).
/// </summary>
internal sealed class ModelStore(IOutboxStore inner, ModelProcess process, ModelTrace trace, ModelActivity activity, Random? blips) : IOutboxStore
{
    private bool _blipped;

    public Task EnqueueAsync(DbTransaction transaction, OutboxEntry entry, CancellationToken cancellationToken = default)
        => inner.EnqueueAsync(transaction, entry, cancellationToken);

    public Task<IReadOnlyList<OutboxMessage>> ClaimAsync(int batchSize, string leaseOwner, DateTimeOffset now, DateTimeOffset leaseUntil, CancellationToken cancellationToken = default)
        => CallAsync("its claim committed", async () =>
        {
            IReadOnlyList<OutboxMessage> batch = await inner.ClaimAsync(batchSize, leaseOwner, now, leaseUntil, cancellationToken);
            trace.Claimed(process.Id, leaseOwner, now, leaseUntil, batch);
            return batch;
        });

    public Task<IReadOnlyCollection<Guid>> CompleteAsync(IReadOnlyList<OutboxOutcome> outcomes, CancellationToken cancellationToken = default)
        => CallAsync($"{outcomes.Count} outcomes committed", async () =>
        {
            IReadOnlyCollection<Guid> rejected = await inner.CompleteAsync(outcomes, cancellationToken);
            trace.Completed(process.Id, outcomes, rejected);
            return rejected;
        });

    public Task ReleaseAsync(IReadOnlyList<OutboxMessage> messages, CancellationToken cancellationToken = default)
        => CallAsync($"{messages.Count} releases committed", async () =>
        {
            await inner.ReleaseAsync(messages, cancellationToken);
            trace.Released(process.Id, messages);
            return true;
        }, mayBlip: false);

    public Task EnsureSchemaAsync(CancellationToken cancellationToken = default) => inner.EnsureSchemaAsync(cancellationToken);

    private async Task<T> CallAsync<T>(string what, Func<Task<T>> call, bool mayBlip = true)
    {
        await process.WhileFrozenAsync();
        if (process.Crashed)
        {
            return await ModelProcess.Never<T>();
        }

        if (mayBlip && blips is not null && BlipNow())
        {
            trace.Note($"P{process.Id}: store blip ({what.Split(' ')[^1]} not run)");
            throw new ModelStoreBlipException();
        }

        T result;
        activity.Enter();
        try
        {
            result = await call();
        }
        finally
        {
            activity.Exit();
        }

        await process.WhileFrozenAsync();
        if (!process.StrikesNow())
        {
            return result;
        }

        int held = trace.Crashed(process.Id);
        trace.Note($"P{process.Id} crashed right after a store call ({what}), holding {held} leases");
        return await ModelProcess.Never<T>();
    }

    private bool BlipNow()
    {
        lock (blips!)
        {
            _blipped = !_blipped && blips.NextDouble() < 0.05;
            return _blipped;
        }
    }
}
