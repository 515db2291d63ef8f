using System.Data.Common;
using FluentAssertions;
using Xunit;

namespace OrderOutbox.Tests.Conformance;

/// <summary>Shared helpers of the storage conformance suites. Times are explicit (the contract passes them in).</summary>
/// <typeparam name="TFixture">The store's fixture.</typeparam>
public abstract class ConformanceTestBase<TFixture> : IClassFixture<TFixture>
    where TFixture : class, IOutboxStoreFixture
{
    /// <summary>A fixed, whole-second base time for every test (far from the real clock on purpose).</summary>
    protected static readonly DateTimeOffset T0 = new(2030, 1, 1, 0, 0, 0, TimeSpan.Zero);

    protected ConformanceTestBase(TFixture fixture) => Fixture = fixture;

    protected TFixture Fixture { get; }

    protected static CancellationToken Ct => TestContext.Current.CancellationToken;

    protected static OutboxEntry NewEntry(
        DateTimeOffset createdAt,
        string? payload = null,
        string messageType = "order.completed",
        string? aggregateId = "order-1",
        string? headers = null)
        => new(MessageId.NewId(createdAt), messageType, aggregateId, payload ?? """{"orderId":"o-1","amount":12.5}""", headers, createdAt);

    protected static IReadOnlyList<OutboxEntry> NewEntries(int count, DateTimeOffset createdAt)
    {
        var list = new List<OutboxEntry>(count);
        for (int i = 0; i < count; i++)
        {
            list.Add(NewEntry(createdAt, aggregateId: "order-" + i));
        }

        return list;
    }

    /// <summary>Enqueues the entries on one transaction of the store's provider, then commits (or rolls back).</summary>
    protected async Task EnqueueAsync(ConformanceStore store, IEnumerable<OutboxEntry> entries, bool commit = true)
    {
        await using DbConnection connection = await Fixture.OpenConnectionAsync(Ct);
        await using DbTransaction transaction = await connection.BeginTransactionAsync(Ct);
        foreach (OutboxEntry entry in entries)
        {
            await store.Store.EnqueueAsync(transaction, entry, Ct);
        }

        if (commit)
        {
            await transaction.CommitAsync(Ct);
        }
        else
        {
            await transaction.RollbackAsync(Ct);
        }
    }

    protected Task EnqueueAsync(ConformanceStore store, params OutboxEntry[] entries) => EnqueueAsync(store, entries, commit: true);

    protected static Task<IReadOnlyList<OutboxMessage>> ClaimAsync(
        ConformanceStore store, int batchSize, DateTimeOffset now, string owner = "owner-a", TimeSpan? lease = null)
        => store.Store.ClaimAsync(batchSize, owner, now, now + (lease ?? TimeSpan.FromMinutes(5)), Ct);

    protected static OutboxOutcome Sent(OutboxMessage message, DateTimeOffset at)
        => new(message.Id, message.LeaseOwner!, OutboxStatus.Sent, message.RetryCount, at, at, null, null);

    protected static OutboxOutcome Failed(OutboxMessage message, DateTimeOffset at, DateTimeOffset nextAttemptAt, string error = "HTTP 503 Service Unavailable")
        => new(message.Id, message.LeaseOwner!, OutboxStatus.Failed, message.RetryCount + 1, at, at, nextAttemptAt, error);

    protected static OutboxOutcome DeadLetter(OutboxMessage message, DateTimeOffset at, string error = "HTTP 400 Bad Request")
        => new(message.Id, message.LeaseOwner!, OutboxStatus.DeadLetter, message.RetryCount + 1, at, at, null, error);

    /// <summary>Creates a store with one record enqueued at <see cref="T0"/> and claimed by <paramref name="owner"/>.</summary>
    protected async Task<(ConformanceStore Store, OutboxEntry Entry, OutboxMessage Claimed)> NewClaimedAsync(string owner)
    {
        ConformanceStore store = await Fixture.CreateStoreAsync(cancellationToken: Ct);
        OutboxEntry entry = NewEntry(T0);
        await EnqueueAsync(store, entry);
        OutboxMessage claimed = (await ClaimAsync(store, 1, T0, owner)).Single();
        return (store, entry, claimed);
    }

    /// <summary>Enqueues one record at <paramref name="createdAt"/>, claims it and records <paramref name="outcome"/> for it.</summary>
    protected async Task<Guid> CreateWithOutcomeAsync(
        ConformanceStore store, DateTimeOffset createdAt, Func<OutboxMessage, OutboxOutcome> outcome)
    {
        OutboxEntry entry = NewEntry(createdAt);
        await EnqueueAsync(store, entry);
        IReadOnlyList<OutboxMessage> claimed = await store.Store.ClaimAsync(1, "setup-" + entry.Id, createdAt, createdAt + TimeSpan.FromMinutes(1), Ct);
        claimed.Should().ContainSingle().Which.Id.Should().Be(entry.Id);
        IReadOnlyCollection<Guid> rejected = await store.Store.CompleteAsync([outcome(claimed[0])], Ct);
        rejected.Should().BeEmpty();
        return entry.Id;
    }
}
