using FluentAssertions;
using Microsoft.Extensions.Time.Testing;
using Xunit;

namespace OrderOutbox.Tests.Conformance;

/// <summary>Admin operations: statistics, get, dead-letter listing and requeue, purge of sent history.</summary>
/// <typeparam name="TFixture">The store's fixture.</typeparam>
public abstract class AdminConformanceTests<TFixture>(TFixture fixture) : ConformanceTestBase<TFixture>(fixture)
    where TFixture : class, IOutboxStoreFixture
{
    [Fact]
    public async Task Statistics_of_an_empty_outbox_are_zero()
    {
        ConformanceStore store = await Fixture.CreateStoreAsync(new FakeTimeProvider(T0), Ct);

        OutboxStatistics stats = await store.Admin.GetStatisticsAsync(Ct);

        stats.Should().BeEquivalentTo(new OutboxStatistics(), o => o.Excluding(s => s.SentEstimate));
        (stats.SentEstimate ?? 0).Should().Be(0);
    }

    [Fact]
    public async Task Statistics_count_each_status_the_leased_records_and_the_oldest_due_age()
    {
        var clock = new FakeTimeProvider(T0 + TimeSpan.FromSeconds(30));
        ConformanceStore store = await Fixture.CreateStoreAsync(clock, Ct);
        DateTimeOffset past = T0 - TimeSpan.FromHours(1);
        await CreateWithOutcomeAsync(store, past - TimeSpan.FromMinutes(6), m => OutboxOutcome.Sent(m, past, past));
        await CreateWithOutcomeAsync(store, past - TimeSpan.FromMinutes(5), m => OutboxOutcome.Sent(m, past, past));
        await CreateWithOutcomeAsync(store, past - TimeSpan.FromMinutes(4), m => OutboxOutcome.DeadLetter(m, past, past, "HTTP 400 Bad Request"));
        await CreateWithOutcomeAsync(store, past - TimeSpan.FromMinutes(3), m => OutboxOutcome.DeadLetter(m, past, past, "HTTP 400 Bad Request"));
        await CreateWithOutcomeAsync(store, past - TimeSpan.FromMinutes(2), m => OutboxOutcome.Failed(m, past, past, T0 + TimeSpan.FromMinutes(1), "HTTP 503 Service Unavailable")); // not due yet
        await CreateWithOutcomeAsync(store, past - TimeSpan.FromMinutes(1), m => OutboxOutcome.Failed(m, past, past, T0 + TimeSpan.FromSeconds(10), "HTTP 503 Service Unavailable")); // due 20 s ago
        OutboxEntry leased = NewEntry(T0 + TimeSpan.FromSeconds(2));
        await EnqueueAsync(store, leased);
        (await ClaimAsync(store, 1, T0 + TimeSpan.FromSeconds(2), "holder", TimeSpan.FromMinutes(5))).Should().ContainSingle().Which.Id.Should().Be(leased.Id);
        await EnqueueAsync(store, NewEntry(T0), NewEntry(T0 + TimeSpan.FromSeconds(1)));

        OutboxStatistics stats = await store.Admin.GetStatisticsAsync(Ct);

        stats.Pending.Should().Be(3);
        stats.Failed.Should().Be(2);
        stats.Due.Should().Be(3, "two pending records and the failed one due 20 s ago; the leased one and the one due later are not");
        stats.DeadLetter.Should().Be(2);
        stats.Leased.Should().Be(1);
        (stats.SentEstimate ?? 0).Should().BeInRange(0, 2, "an estimate, never more than the rows there are");
        stats.OldestDueAge.Should().Be(TimeSpan.FromSeconds(30), "the oldest due record was due at T0 and the clock reads T0 + 30 s");
    }

    [Fact]
    public async Task A_lease_that_expired_no_longer_counts_as_leased()
    {
        var clock = new FakeTimeProvider(T0);
        ConformanceStore store = await Fixture.CreateStoreAsync(clock, Ct);
        await EnqueueAsync(store, NewEntry(T0));
        (await ClaimAsync(store, 1, T0, "holder", TimeSpan.FromMinutes(1))).Should().ContainSingle();

        (await store.Admin.GetStatisticsAsync(Ct)).Leased.Should().Be(1);
        clock.Advance(TimeSpan.FromMinutes(1));
        (await store.Admin.GetStatisticsAsync(Ct)).Leased.Should().Be(0);
    }

    [Fact]
    public async Task Get_of_an_unknown_id_is_null()
    {
        ConformanceStore store = await Fixture.CreateStoreAsync(cancellationToken: Ct);

        (await store.Admin.GetAsync(Guid.NewGuid(), Ct)).Should().BeNull();
    }

    [Fact]
    public async Task Dead_letters_are_listed_page_by_page_without_gaps_or_repeats()
    {
        ConformanceStore store = await Fixture.CreateStoreAsync(new FakeTimeProvider(T0), Ct);
        var deadLetters = new List<Guid>();
        for (int i = 0; i < 7; i++)
        {
            deadLetters.Add(await CreateWithOutcomeAsync(store, T0 - TimeSpan.FromMinutes(30 - i), m => OutboxOutcome.DeadLetter(m, T0, T0, "HTTP 400 #" + i)));
        }

        await CreateWithOutcomeAsync(store, T0 - TimeSpan.FromMinutes(10), m => OutboxOutcome.Sent(m, T0, T0));
        await CreateWithOutcomeAsync(store, T0 - TimeSpan.FromMinutes(9), m => OutboxOutcome.Failed(m, T0, T0, T0 + TimeSpan.FromMinutes(1), "HTTP 503 Service Unavailable"));
        await EnqueueAsync(store, NewEntry(T0));

        var pages = new List<IReadOnlyList<OutboxMessage>>();
        Guid? after = null;
        while (true)
        {
            IReadOnlyList<OutboxMessage> page = await store.Admin.ListDeadLettersAsync(3, after, Ct);
            if (page.Count == 0)
            {
                break;
            }

            pages.Add(page);
            after = page[^1].Id;
            pages.Count.Should().BeLessThan(10, "paging must end");
        }

        pages.Select(p => p.Count).Should().Equal(3, 3, 1);
        List<OutboxMessage> all = pages.SelectMany(p => p).ToList();
        all.Select(m => m.Id).Should().OnlyHaveUniqueItems().And.BeEquivalentTo(deadLetters);
        all.Should().OnlyContain(m => m.Status == OutboxStatus.DeadLetter && m.LastError!.StartsWith("HTTP 400 #"));
        all.Should().OnlyContain(m => m.Payload.Length > 0);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1001)]
    public async Task Listing_dead_letters_rejects_a_page_size_out_of_range(int limit)
    {
        ConformanceStore store = await Fixture.CreateStoreAsync(cancellationToken: Ct);

        await FluentActions.Awaiting(() => store.Admin.ListDeadLettersAsync(limit, null, Ct))
            .Should().ThrowAsync<ArgumentOutOfRangeException>();
    }

    [Fact]
    public async Task Requeue_moves_one_dead_letter_back_to_pending_due_now()
    {
        var clock = new FakeTimeProvider(T0 + TimeSpan.FromHours(1));
        ConformanceStore store = await Fixture.CreateStoreAsync(clock, Ct);
        Guid dead = await CreateWithOutcomeAsync(store, T0 - TimeSpan.FromMinutes(2), m => OutboxOutcome.DeadLetter(m, T0, T0, "HTTP 400 Bad Request"));
        Guid otherDead = await CreateWithOutcomeAsync(store, T0 - TimeSpan.FromMinutes(1), m => OutboxOutcome.DeadLetter(m, T0, T0, "HTTP 400 Bad Request"));

        (await store.Admin.RequeueDeadLetterAsync(dead, Ct)).Should().BeTrue();

        OutboxMessage stored = (await store.Admin.GetAsync(dead, Ct))!;
        stored.Status.Should().Be(OutboxStatus.Pending);
        stored.RetryCount.Should().Be(0);
        stored.NextAttemptAt.Should().Be(clock.GetUtcNow());
        stored.LastError.Should().Be("HTTP 400 Bad Request", "the last error is kept for history");
        stored.LeaseOwner.Should().BeNull();
        (await store.Admin.GetAsync(otherDead, Ct))!.Status.Should().Be(OutboxStatus.DeadLetter);

        (await ClaimAsync(store, 10, clock.GetUtcNow() - TimeSpan.FromSeconds(1))).Should().BeEmpty();
        (await ClaimAsync(store, 10, clock.GetUtcNow())).Should().ContainSingle().Which.Id.Should().Be(dead);
    }

    [Fact]
    public async Task Requeue_of_a_record_that_is_not_a_dead_letter_does_nothing()
    {
        ConformanceStore store = await Fixture.CreateStoreAsync(new FakeTimeProvider(T0), Ct);
        Guid sent = await CreateWithOutcomeAsync(store, T0 - TimeSpan.FromMinutes(1), m => OutboxOutcome.Sent(m, T0, T0));

        (await store.Admin.RequeueDeadLetterAsync(sent, Ct)).Should().BeFalse();
        (await store.Admin.RequeueDeadLetterAsync(Guid.NewGuid(), Ct)).Should().BeFalse();
        (await store.Admin.GetAsync(sent, Ct))!.Status.Should().Be(OutboxStatus.Sent);
    }

    [Fact]
    public async Task Requeue_all_moves_every_dead_letter_and_only_dead_letters()
    {
        var clock = new FakeTimeProvider(T0 + TimeSpan.FromHours(1));
        ConformanceStore store = await Fixture.CreateStoreAsync(clock, Ct);
        var dead = new List<Guid>();
        for (int i = 0; i < 3; i++)
        {
            dead.Add(await CreateWithOutcomeAsync(store, T0 - TimeSpan.FromMinutes(10 - i), m => OutboxOutcome.DeadLetter(m, T0, T0, "HTTP 400 Bad Request")));
        }

        Guid sent = await CreateWithOutcomeAsync(store, T0 - TimeSpan.FromMinutes(5), m => OutboxOutcome.Sent(m, T0, T0));
        Guid failed = await CreateWithOutcomeAsync(store, T0 - TimeSpan.FromMinutes(4), m => OutboxOutcome.Failed(m, T0, T0, T0 + TimeSpan.FromDays(1), "HTTP 503 Service Unavailable"));

        (await store.Admin.RequeueAllDeadLettersAsync(Ct)).Should().Be(3);
        (await store.Admin.RequeueAllDeadLettersAsync(Ct)).Should().Be(0);

        (await ClaimAsync(store, 10, clock.GetUtcNow())).Select(m => m.Id).Should().BeEquivalentTo(dead);
        (await store.Admin.GetAsync(sent, Ct))!.Status.Should().Be(OutboxStatus.Sent);
        (await store.Admin.GetAsync(failed, Ct))!.Status.Should().Be(OutboxStatus.Failed);
        OutboxStatistics stats = await store.Admin.GetStatisticsAsync(Ct);
        stats.DeadLetter.Should().Be(0);
        stats.Pending.Should().Be(3);
    }

    [Fact]
    public async Task Purge_deletes_only_old_sent_records_in_batches_until_none_is_left()
    {
        ConformanceStore store = await Fixture.CreateStoreAsync(new FakeTimeProvider(T0), Ct);
        DateTimeOffset old = T0 - TimeSpan.FromDays(10);
        IReadOnlyList<OutboxEntry> oldEntries = NewEntries(2500, old);
        await EnqueueAsync(store, oldEntries, commit: true);
        IReadOnlyList<OutboxMessage> claimed = await store.Store.ClaimAsync(2500, "purge-setup", old, old + TimeSpan.FromMinutes(5), Ct);
        claimed.Should().HaveCount(2500);
        (await store.Store.CompleteAsync(claimed.Select(m => OutboxOutcome.Sent(m, old + TimeSpan.FromSeconds(1), old + TimeSpan.FromSeconds(1))).ToList(), Ct)).Should().BeEmpty();

        Guid recentSent = await CreateWithOutcomeAsync(store, T0 - TimeSpan.FromHours(2), m => OutboxOutcome.Sent(m, T0 - TimeSpan.FromHours(1), T0 - TimeSpan.FromHours(1)));
        Guid oldDead = await CreateWithOutcomeAsync(store, T0 - TimeSpan.FromHours(2) + TimeSpan.FromSeconds(1), m => OutboxOutcome.DeadLetter(m, old, old, "HTTP 400 Bad Request"));
        Guid oldFailed = await CreateWithOutcomeAsync(store, T0 - TimeSpan.FromHours(2) + TimeSpan.FromSeconds(2), m => OutboxOutcome.Failed(m, old, old, T0 + TimeSpan.FromDays(1), "HTTP 503 Service Unavailable"));
        OutboxEntry pending = NewEntry(T0);
        await EnqueueAsync(store, pending);

        long deleted = await store.Admin.PurgeSentAsync(T0 - TimeSpan.FromDays(1), 1000, Ct);

        deleted.Should().Be(2500);
        OutboxStatistics stats = await store.Admin.GetStatisticsAsync(Ct);
        stats.DeadLetter.Should().Be(1);
        stats.Failed.Should().Be(1);
        stats.Pending.Should().Be(1);
        (await store.Admin.GetAsync(recentSent, Ct)).Should().NotBeNull();
        (await store.Admin.GetAsync(oldDead, Ct)).Should().NotBeNull();
        (await store.Admin.GetAsync(oldFailed, Ct)).Should().NotBeNull();
        (await store.Admin.GetAsync(pending.Id, Ct)).Should().NotBeNull();
        (await store.Admin.GetAsync(oldEntries[0].Id, Ct)).Should().BeNull();
        (await store.Admin.PurgeSentAsync(T0 - TimeSpan.FromDays(1), 1000, Ct)).Should().Be(0);
    }

    [Fact]
    public async Task Purge_uses_a_strict_cutoff()
    {
        ConformanceStore store = await Fixture.CreateStoreAsync(new FakeTimeProvider(T0), Ct);
        Guid atCutoff = await CreateWithOutcomeAsync(store, T0 - TimeSpan.FromHours(3), m => OutboxOutcome.Sent(m, T0 - TimeSpan.FromHours(1), T0 - TimeSpan.FromHours(1)));
        Guid before = await CreateWithOutcomeAsync(store, T0 - TimeSpan.FromHours(2), m => OutboxOutcome.Sent(m, T0 - TimeSpan.FromHours(1) - TimeSpan.FromSeconds(1), T0 - TimeSpan.FromHours(1) - TimeSpan.FromSeconds(1)));

        (await store.Admin.PurgeSentAsync(T0 - TimeSpan.FromHours(1), 1, Ct)).Should().Be(1);

        (await store.Admin.GetAsync(atCutoff, Ct)).Should().NotBeNull();
        (await store.Admin.GetAsync(before, Ct)).Should().BeNull();
    }

    [Theory]
    [InlineData(0)]
    [InlineData(2_001)]
    [InlineData(100_001)]
    public async Task Purge_rejects_a_batch_size_out_of_range(int batchSize)
    {
        ConformanceStore store = await Fixture.CreateStoreAsync(cancellationToken: Ct);

        await FluentActions.Awaiting(() => store.Admin.PurgeSentAsync(T0, batchSize, Ct))
            .Should().ThrowAsync<ArgumentOutOfRangeException>();
    }

    [Fact]
    public async Task Purge_accepts_the_largest_batch_size()
    {
        ConformanceStore store = await Fixture.CreateStoreAsync(new FakeTimeProvider(T0), Ct);
        Guid old = await CreateWithOutcomeAsync(store, T0 - TimeSpan.FromDays(2), m => OutboxOutcome.Sent(m, T0 - TimeSpan.FromDays(2), T0 - TimeSpan.FromDays(2)));

        (await store.Admin.PurgeSentAsync(T0 - TimeSpan.FromDays(1), 2_000, Ct)).Should().Be(1);

        (await store.Admin.GetAsync(old, Ct)).Should().BeNull();
    }
}
