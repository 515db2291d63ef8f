using System.Collections.Concurrent;
using FluentAssertions;
using Xunit;

namespace OrderOutbox.Tests.Conformance;

/// <summary>Claims: batch size, due time, order, leases, expiry and concurrent claimers.</summary>
/// <typeparam name="TFixture">The store's fixture.</typeparam>
public abstract class ClaimConformanceTests<TFixture>(TFixture fixture) : ConformanceTestBase<TFixture>(fixture)
    where TFixture : class, IOutboxStoreFixture
{
    [Fact]
    public async Task Claim_returns_at_most_the_batch_size_and_leases_what_it_returns()
    {
        ConformanceStore store = await Fixture.CreateStoreAsync(cancellationToken: Ct);
        await EnqueueAsync(store, NewEntries(5, T0), commit: true);
        DateTimeOffset until = T0 + TimeSpan.FromMinutes(5);

        IReadOnlyList<OutboxMessage> first = await store.Store.ClaimAsync(3, "owner-a", T0, until, Ct);
        IReadOnlyList<OutboxMessage> second = await store.Store.ClaimAsync(3, "owner-b", T0, until, Ct);
        IReadOnlyList<OutboxMessage> third = await store.Store.ClaimAsync(3, "owner-c", T0, until, Ct);

        first.Should().HaveCount(3).And.OnlyContain(m => m.LeaseOwner == "owner-a" && m.LeaseExpiresAt == until && m.Status == OutboxStatus.Pending);
        second.Should().HaveCount(2).And.OnlyContain(m => m.LeaseOwner == "owner-b");
        third.Should().BeEmpty();
        first.Select(m => m.Id).Should().NotIntersectWith(second.Select(m => m.Id));

        OutboxMessage stored = (await store.Admin.GetAsync(first[0].Id, Ct))!;
        stored.LeaseOwner.Should().Be("owner-a");
        stored.LeaseExpiresAt.Should().Be(until);
        stored.Status.Should().Be(OutboxStatus.Pending);
    }

    [Fact]
    public async Task Claim_takes_the_oldest_due_records_first()
    {
        ConformanceStore store = await Fixture.CreateStoreAsync(cancellationToken: Ct);
        OutboxEntry oldest = NewEntry(T0 + TimeSpan.FromSeconds(1));
        OutboxEntry middle = NewEntry(T0 + TimeSpan.FromSeconds(2));
        OutboxEntry newest = NewEntry(T0 + TimeSpan.FromSeconds(3));
        await EnqueueAsync(store, newest, oldest, middle);

        IReadOnlyList<OutboxMessage> claimed = await ClaimAsync(store, 2, T0 + TimeSpan.FromMinutes(1));

        claimed.Select(m => m.Id).Should().BeEquivalentTo([oldest.Id, middle.Id]);
    }

    [Fact]
    public async Task A_record_is_claimable_only_from_its_due_time()
    {
        ConformanceStore store = await Fixture.CreateStoreAsync(cancellationToken: Ct);
        OutboxEntry entry = NewEntry(T0 + TimeSpan.FromMinutes(1));
        await EnqueueAsync(store, entry);

        (await ClaimAsync(store, 10, T0 + TimeSpan.FromSeconds(59))).Should().BeEmpty();
        (await ClaimAsync(store, 10, T0 + TimeSpan.FromMinutes(1))).Should().ContainSingle().Which.Id.Should().Be(entry.Id);
    }

    [Fact]
    public async Task A_leased_record_is_not_claimed_again_while_its_lease_is_current()
    {
        ConformanceStore store = await Fixture.CreateStoreAsync(cancellationToken: Ct);
        await EnqueueAsync(store, NewEntry(T0));

        (await ClaimAsync(store, 10, T0, "owner-a", TimeSpan.FromMinutes(5))).Should().ContainSingle();

        (await ClaimAsync(store, 10, T0 + TimeSpan.FromMinutes(4), "owner-b")).Should().BeEmpty();
    }

    [Fact]
    public async Task An_expired_lease_is_claimed_again_by_another_owner()
    {
        ConformanceStore store = await Fixture.CreateStoreAsync(cancellationToken: Ct);
        OutboxEntry entry = NewEntry(T0);
        await EnqueueAsync(store, entry);
        (await ClaimAsync(store, 10, T0, "owner-a", TimeSpan.FromMinutes(1))).Should().ContainSingle();

        IReadOnlyList<OutboxMessage> reclaimed = await ClaimAsync(store, 10, T0 + TimeSpan.FromMinutes(1), "owner-b");

        OutboxMessage message = reclaimed.Should().ContainSingle().Subject;
        message.Id.Should().Be(entry.Id);
        message.LeaseOwner.Should().Be("owner-b");
        message.Status.Should().Be(OutboxStatus.Pending);
        (await store.Admin.GetAsync(entry.Id, Ct))!.LeaseOwner.Should().Be("owner-b");
    }

    [Fact]
    public async Task Sent_and_dead_letter_records_are_never_claimed()
    {
        ConformanceStore store = await Fixture.CreateStoreAsync(cancellationToken: Ct);
        await CreateWithOutcomeAsync(store, T0 - TimeSpan.FromHours(2), m => OutboxOutcome.Sent(m, T0 - TimeSpan.FromHours(2), T0 - TimeSpan.FromHours(2)));
        await CreateWithOutcomeAsync(store, T0 - TimeSpan.FromHours(1), m => OutboxOutcome.DeadLetter(m, T0 - TimeSpan.FromHours(1), T0 - TimeSpan.FromHours(1), "HTTP 400 Bad Request"));

        (await ClaimAsync(store, 10, T0 + TimeSpan.FromDays(365))).Should().BeEmpty();
    }

    [Fact]
    public async Task Four_concurrent_claimers_never_hold_the_same_record_and_together_claim_all()
    {
        const int total = 2000;
        ConformanceStore store = await Fixture.CreateStoreAsync(cancellationToken: Ct);
        IReadOnlyList<OutboxEntry> entries = NewEntries(total, T0);
        await EnqueueAsync(store, entries, commit: true);
        DateTimeOffset now = T0 + TimeSpan.FromSeconds(1);
        DateTimeOffset until = T0 + TimeSpan.FromHours(1);
        var claims = new ConcurrentBag<(string Owner, Guid Id)>();

        async Task ClaimerAsync(int claimer)
        {
            await Task.Yield();
            for (int round = 0; ; round++)
            {
                string owner = $"claimer-{claimer}-{round}";
                IReadOnlyList<OutboxMessage> batch = await store.Store.ClaimAsync(25, owner, now, until, Ct);
                if (batch.Count == 0)
                {
                    return;
                }

                foreach (OutboxMessage message in batch)
                {
                    message.LeaseOwner.Should().Be(owner);
                    claims.Add((owner, message.Id));
                }
            }
        }

        await Task.WhenAll(Enumerable.Range(0, 4).Select(i => Task.Run(() => ClaimerAsync(i), Ct)));

        claims.Should().HaveCount(total, "every record is claimed exactly once while the leases are current");
        var claimedIds = claims.Select(c => c.Id).ToHashSet();
        claimedIds.Should().HaveCount(total, "no record may be claimed twice while its lease is current");
        claimedIds.SetEquals(entries.Select(e => e.Id)).Should().BeTrue("together the claimers claim every record");
        (await ClaimAsync(store, 100, now, "late")).Should().BeEmpty();
        (await store.Admin.GetStatisticsAsync(Ct)).Pending.Should().Be(total);
    }
}
