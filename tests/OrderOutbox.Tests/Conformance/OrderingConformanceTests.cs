using System.Collections.Concurrent;
using FluentAssertions;
using OrderOutbox.Storage;
using Xunit;

namespace OrderOutbox.Tests.Conformance;

/// <summary>
/// Per-aggregate claims (<see cref="ClaimOrdering"/>): one record per aggregate at a time, in enqueue order; a failing or
/// leased record blocks only its own aggregate; dead letters hold or not; records without an aggregate are unordered.
/// </summary>
/// <typeparam name="TFixture">The store's fixture.</typeparam>
public abstract class OrderingConformanceTests<TFixture>(TFixture fixture) : ConformanceTestBase<TFixture>(fixture)
    where TFixture : class, IOutboxStoreFixture
{
    private int _sequence;

    [Fact]
    public async Task A_per_aggregate_claim_takes_only_the_first_record_of_each_aggregate_and_every_unordered_one()
    {
        ConformanceStore store = await Fixture.CreateStoreAsync(cancellationToken: Ct);
        OutboxEntry[] a = [Next("A"), Next("A"), Next("A")];
        OutboxEntry[] b = [Next("B"), Next("B")];
        OutboxEntry[] none = [Next(null), Next(null)];
        await EnqueueAsync(store, [a[0], b[0], none[0], a[1], b[1], none[1], a[2]]);

        IReadOnlyList<OutboxMessage> claimed = await ClaimOrderedAsync(store, 10, T0);

        claimed.Select(m => m.Id).Should().BeEquivalentTo([a[0].Id, b[0].Id, none[0].Id, none[1].Id]);
        (await ClaimOrderedAsync(store, 10, T0, owner: "owner-b")).Should().BeEmpty("the heads are leased, so their aggregates wait");
    }

    [Fact]
    public async Task The_next_record_of_an_aggregate_is_claimable_once_the_one_before_it_is_sent()
    {
        ConformanceStore store = await Fixture.CreateStoreAsync(cancellationToken: Ct);
        OutboxEntry[] a = [Next("A"), Next("A"), Next("A")];
        await EnqueueAsync(store, a);

        var delivered = new List<Guid>();
        for (int i = 0; i < 3; i++)
        {
            OutboxMessage head = (await ClaimOrderedAsync(store, 10, T0, owner: "owner-" + i)).Should().ContainSingle().Subject;
            delivered.Add(head.Id);
            (await store.Store.CompleteAsync([OutboxOutcome.Sent(head, T0, T0)], Ct)).Should().BeEmpty();
        }

        delivered.Should().Equal(a.Select(e => e.Id));
        (await ClaimOrderedAsync(store, 10, T0, owner: "owner-last")).Should().BeEmpty();
    }

    [Fact]
    public async Task A_failed_record_blocks_the_later_records_of_its_own_aggregate_only()
    {
        ConformanceStore store = await Fixture.CreateStoreAsync(cancellationToken: Ct);
        OutboxEntry a1 = Next("A"), a2 = Next("A"), b1 = Next("B"), b2 = Next("B");
        await EnqueueAsync(store, a1, a2, b1, b2);
        IReadOnlyList<OutboxMessage> heads = await ClaimOrderedAsync(store, 10, T0);
        OutboxMessage headA = heads.Single(m => m.Id == a1.Id);
        OutboxMessage headB = heads.Single(m => m.Id == b1.Id);
        DateTimeOffset retryAt = T0 + TimeSpan.FromMinutes(1);
        await store.Store.CompleteAsync([OutboxOutcome.Failed(headA, T0, T0, retryAt, "HTTP 503"), OutboxOutcome.Sent(headB, T0, T0)], Ct);

        (await ClaimOrderedAsync(store, 10, T0 + TimeSpan.FromSeconds(30), owner: "owner-b")).Select(m => m.Id)
            .Should().Equal([b2.Id], "a2 waits behind the failed a1, B goes on");
        (await ClaimOrderedAsync(store, 10, retryAt, owner: "owner-c")).Select(m => m.Id)
            .Should().Equal([a1.Id], "the retry of a1 comes before a2");
    }

    [Fact]
    public async Task A_dead_letter_holds_its_aggregate_unless_the_claim_continues_after_dead_letters()
    {
        ConformanceStore store = await Fixture.CreateStoreAsync(cancellationToken: Ct);
        OutboxEntry a1 = Next("A"), a2 = Next("A");
        await EnqueueAsync(store, a1, a2);
        OutboxMessage head = (await ClaimOrderedAsync(store, 10, T0)).Should().ContainSingle().Subject;
        await store.Store.CompleteAsync([OutboxOutcome.DeadLetter(head, T0, T0, "HTTP 400")], Ct);

        (await ClaimOrderedAsync(store, 10, T0, owner: "owner-hold")).Should().BeEmpty("a dead letter holds its aggregate");
        IReadOnlyList<OutboxMessage> continued = await store.Store.ClaimAsync(
            10, "owner-continue", T0, T0 + TimeSpan.FromMinutes(5), ClaimOrdering.PerAggregateContinueAfterDeadLetter, Ct);
        continued.Select(m => m.Id).Should().Equal([a2.Id]);
    }

    [Fact]
    public async Task A_requeued_dead_letter_goes_first_and_releases_its_aggregate_once_sent()
    {
        ConformanceStore store = await Fixture.CreateStoreAsync(cancellationToken: Ct);
        OutboxEntry a1 = Next("A"), a2 = Next("A");
        await EnqueueAsync(store, a1, a2);
        OutboxMessage head = (await ClaimOrderedAsync(store, 10, T0)).Single();
        await store.Store.CompleteAsync([OutboxOutcome.DeadLetter(head, T0, T0, "HTTP 400")], Ct);

        (await store.Admin.RequeueDeadLetterAsync(a1.Id, Ct)).Should().BeTrue();
        DateTimeOffset later = T0 + TimeSpan.FromDays(3650);
        OutboxMessage again = (await ClaimOrderedAsync(store, 10, later, owner: "owner-b")).Should().ContainSingle().Subject;
        again.Id.Should().Be(a1.Id);
        await store.Store.CompleteAsync([OutboxOutcome.Sent(again, later, later)], Ct);
        (await ClaimOrderedAsync(store, 10, later, owner: "owner-c")).Select(m => m.Id).Should().Equal([a2.Id]);
    }

    [Fact]
    public async Task An_unordered_claim_ignores_aggregates()
    {
        ConformanceStore store = await Fixture.CreateStoreAsync(cancellationToken: Ct);
        OutboxEntry[] a = [Next("A"), Next("A"), Next("A")];
        await EnqueueAsync(store, a);

        IReadOnlyList<OutboxMessage> claimed = await store.Store.ClaimAsync(10, "owner-a", T0, T0 + TimeSpan.FromMinutes(5), ClaimOrdering.Unordered, Ct);

        claimed.Should().HaveCount(3);
    }

    [Fact]
    public async Task Concurrent_per_aggregate_claims_never_hold_two_records_of_one_aggregate()
    {
        ConformanceStore store = await Fixture.CreateStoreAsync(cancellationToken: Ct);
        var entries = new List<OutboxEntry>();
        for (int round = 0; round < 4; round++)
        {
            for (int aggregate = 0; aggregate < 25; aggregate++)
            {
                entries.Add(Next("order-" + aggregate));
            }
        }

        await EnqueueAsync(store, entries);
        var claimed = new ConcurrentBag<OutboxMessage>();
        await Task.WhenAll(Enumerable.Range(0, 8).Select(i => Task.Run(
            async () =>
            {
                foreach (OutboxMessage m in await ClaimOrderedAsync(store, 5, T0, owner: "owner-" + i))
                {
                    claimed.Add(m);
                }
            },
            Ct)));

        claimed.GroupBy(m => m.AggregateId).Should().OnlyContain(g => g.Count() == 1);
        claimed.Select(m => m.Id).Should().OnlyContain(id => entries.Take(25).Select(e => e.Id).Contains(id), "only the first record of each aggregate is claimable");
        claimed.Should().HaveCount(25, "8 claims of 5 cover all 25 heads");
    }

    /// <summary>The next entry, with an ID greater than every earlier one of this test (whatever other tests generate).</summary>
    private OutboxEntry Next(string? aggregateId)
        => NewEntry(T0, aggregateId: aggregateId) with { Id = MessageId.NewId(T0 + TimeSpan.FromMilliseconds(++_sequence)) };

    private static Task<IReadOnlyList<OutboxMessage>> ClaimOrderedAsync(ConformanceStore store, int batchSize, DateTimeOffset now, string owner = "owner-a")
        => store.Store.ClaimAsync(batchSize, owner, now, now + TimeSpan.FromMinutes(5), ClaimOrdering.PerAggregate, Ct);
}
