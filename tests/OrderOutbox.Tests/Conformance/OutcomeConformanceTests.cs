using FluentAssertions;
using Xunit;

namespace OrderOutbox.Tests.Conformance;

/// <summary>Outcomes and releases: what is written, backoff due times, and fencing by lease owner.</summary>
/// <typeparam name="TFixture">The store's fixture.</typeparam>
public abstract class OutcomeConformanceTests<TFixture>(TFixture fixture) : ConformanceTestBase<TFixture>(fixture)
    where TFixture : class, IOutboxStoreFixture
{
    [Fact]
    public async Task Success_marks_the_record_sent_and_clears_its_lease()
    {
        ConformanceStore store = await Fixture.CreateStoreAsync(cancellationToken: Ct);
        OutboxEntry entry = NewEntry(T0);
        await EnqueueAsync(store, entry);
        OutboxMessage claimed = (await ClaimAsync(store, 1, T0)).Single();
        DateTimeOffset attempted = T0 + TimeSpan.FromSeconds(1);
        DateTimeOffset completed = T0 + TimeSpan.FromSeconds(2);

        IReadOnlyCollection<Guid> rejected = await store.Store.CompleteAsync(
            [new OutboxOutcome(claimed.Id, claimed.LeaseOwner!, OutboxStatus.Sent, 0, attempted, completed, null, null)], Ct);

        rejected.Should().BeEmpty();
        OutboxMessage stored = (await store.Admin.GetAsync(entry.Id, Ct))!;
        stored.Status.Should().Be(OutboxStatus.Sent);
        stored.SentAt.Should().Be(completed);
        stored.LastAttemptAt.Should().Be(attempted);
        stored.RetryCount.Should().Be(0);
        stored.NextAttemptAt.Should().Be(T0);
        stored.LastError.Should().BeNull();
        stored.LeaseOwner.Should().BeNull();
        stored.LeaseExpiresAt.Should().BeNull();
        (await ClaimAsync(store, 10, T0 + TimeSpan.FromDays(1))).Should().BeEmpty();
    }

    [Fact]
    public async Task A_failed_record_comes_back_only_when_its_backoff_is_due()
    {
        ConformanceStore store = await Fixture.CreateStoreAsync(cancellationToken: Ct);
        OutboxEntry entry = NewEntry(T0);
        await EnqueueAsync(store, entry);
        OutboxMessage claimed = (await ClaimAsync(store, 1, T0)).Single();
        DateTimeOffset retryAt = T0 + TimeSpan.FromMinutes(1);

        (await store.Store.CompleteAsync([Failed(claimed, T0, retryAt, "HTTP 503 Service Unavailable")], Ct)).Should().BeEmpty();

        OutboxMessage stored = (await store.Admin.GetAsync(entry.Id, Ct))!;
        stored.Status.Should().Be(OutboxStatus.Failed);
        stored.RetryCount.Should().Be(1);
        stored.NextAttemptAt.Should().Be(retryAt);
        stored.LastAttemptAt.Should().Be(T0);
        stored.SentAt.Should().BeNull();
        stored.LastError.Should().Be("HTTP 503 Service Unavailable");
        stored.LeaseOwner.Should().BeNull();

        (await ClaimAsync(store, 10, retryAt - TimeSpan.FromSeconds(1), "early")).Should().BeEmpty();
        OutboxMessage retried = (await ClaimAsync(store, 10, retryAt, "on-time")).Should().ContainSingle().Subject;
        retried.Id.Should().Be(entry.Id);
        retried.Status.Should().Be(OutboxStatus.Failed);
        retried.RetryCount.Should().Be(1);
        retried.LastError.Should().Be("HTTP 503 Service Unavailable");
        retried.Payload.Should().Be(entry.Payload);
    }

    [Fact]
    public async Task A_success_after_a_failure_keeps_the_last_failure_for_history()
    {
        (ConformanceStore store, OutboxEntry entry, OutboxMessage first) = await NewClaimedAsync("owner-a");
        (await store.Store.CompleteAsync([Failed(first, T0, T0 + TimeSpan.FromMinutes(1), "HTTP 500 Internal Server Error")], Ct)).Should().BeEmpty();
        OutboxMessage second = (await ClaimAsync(store, 1, T0 + TimeSpan.FromMinutes(1), "owner-b")).Single();

        (await store.Store.CompleteAsync([Sent(second, T0 + TimeSpan.FromMinutes(1))], Ct)).Should().BeEmpty();

        OutboxMessage stored = (await store.Admin.GetAsync(entry.Id, Ct))!;
        stored.Status.Should().Be(OutboxStatus.Sent);
        stored.RetryCount.Should().Be(1);
        stored.SentAt.Should().Be(T0 + TimeSpan.FromMinutes(1));
        stored.LastError.Should().Be("HTTP 500 Internal Server Error");
    }

    [Fact]
    public async Task A_dead_letter_keeps_its_error_and_is_never_claimed()
    {
        ConformanceStore store = await Fixture.CreateStoreAsync(cancellationToken: Ct);
        OutboxEntry entry = NewEntry(T0);
        await EnqueueAsync(store, entry);
        OutboxMessage claimed = (await ClaimAsync(store, 1, T0)).Single();

        (await store.Store.CompleteAsync([DeadLetter(claimed, T0, "HTTP 422 Unprocessable Entity")], Ct)).Should().BeEmpty();

        OutboxMessage stored = (await store.Admin.GetAsync(entry.Id, Ct))!;
        stored.Status.Should().Be(OutboxStatus.DeadLetter);
        stored.RetryCount.Should().Be(1);
        stored.LastError.Should().Be("HTTP 422 Unprocessable Entity");
        stored.LeaseOwner.Should().BeNull();
        (await ClaimAsync(store, 10, T0 + TimeSpan.FromDays(365))).Should().BeEmpty();
    }

    [Fact]
    public async Task A_stale_owners_outcome_is_rejected_and_the_new_claim_wins()
    {
        ConformanceStore store = await Fixture.CreateStoreAsync(cancellationToken: Ct);
        OutboxEntry entry = NewEntry(T0);
        await EnqueueAsync(store, entry);
        OutboxMessage stale = (await ClaimAsync(store, 1, T0, "owner-a", TimeSpan.FromMinutes(1))).Single();
        OutboxMessage fresh = (await ClaimAsync(store, 1, T0 + TimeSpan.FromMinutes(2), "owner-b")).Single();

        IReadOnlyCollection<Guid> rejected = await store.Store.CompleteAsync([Sent(stale, T0 + TimeSpan.FromMinutes(3))], Ct);

        rejected.Should().Equal(entry.Id);
        OutboxMessage stored = (await store.Admin.GetAsync(entry.Id, Ct))!;
        stored.Status.Should().Be(OutboxStatus.Pending);
        stored.LeaseOwner.Should().Be("owner-b");
        stored.SentAt.Should().BeNull();

        (await store.Store.CompleteAsync([Failed(fresh, T0 + TimeSpan.FromMinutes(3), T0 + TimeSpan.FromMinutes(5))], Ct)).Should().BeEmpty();
        (await store.Admin.GetAsync(entry.Id, Ct))!.Status.Should().Be(OutboxStatus.Failed);
    }

    [Fact]
    public async Task A_batch_of_mixed_outcomes_is_written_and_only_the_stale_one_rejected()
    {
        ConformanceStore store = await Fixture.CreateStoreAsync(cancellationToken: Ct);
        await EnqueueAsync(store, NewEntries(4, T0), commit: true);
        IReadOnlyList<OutboxMessage> claimed = await ClaimAsync(store, 4, T0, "owner-a");
        claimed.Should().HaveCount(4);
        OutboxOutcome stale = Sent(claimed[3], T0) with { LeaseOwner = "someone-else" };

        IReadOnlyCollection<Guid> rejected = await store.Store.CompleteAsync(
            [Sent(claimed[0], T0), Failed(claimed[1], T0, T0 + TimeSpan.FromMinutes(1)), DeadLetter(claimed[2], T0), stale], Ct);

        rejected.Should().Equal(claimed[3].Id);
        (await store.Admin.GetAsync(claimed[0].Id, Ct))!.Status.Should().Be(OutboxStatus.Sent);
        (await store.Admin.GetAsync(claimed[1].Id, Ct))!.Status.Should().Be(OutboxStatus.Failed);
        (await store.Admin.GetAsync(claimed[2].Id, Ct))!.Status.Should().Be(OutboxStatus.DeadLetter);
        OutboxMessage untouched = (await store.Admin.GetAsync(claimed[3].Id, Ct))!;
        untouched.Status.Should().Be(OutboxStatus.Pending);
        untouched.LeaseOwner.Should().Be("owner-a");
    }

    [Fact]
    public async Task An_outcome_for_an_unknown_record_is_rejected_and_an_empty_batch_is_a_no_op()
    {
        ConformanceStore store = await Fixture.CreateStoreAsync(cancellationToken: Ct);
        var unknown = new OutboxOutcome(Guid.NewGuid(), "owner-a", OutboxStatus.Sent, 0, T0, T0, null, null);

        (await store.Store.CompleteAsync([unknown], Ct)).Should().Equal(unknown.Id);
        (await store.Store.CompleteAsync([], Ct)).Should().BeEmpty();
    }

    [Fact]
    public async Task Release_clears_the_lease_and_keeps_status_retry_count_and_due_time()
    {
        (ConformanceStore store, OutboxEntry entry, OutboxMessage first) = await NewClaimedAsync("owner-a");
        (await store.Store.CompleteAsync([Failed(first, T0, T0 + TimeSpan.FromMinutes(1))], Ct)).Should().BeEmpty();
        OutboxMessage claimed = (await ClaimAsync(store, 1, T0 + TimeSpan.FromMinutes(1), "owner-b")).Single();

        await store.Store.ReleaseAsync([claimed], Ct);

        OutboxMessage stored = (await store.Admin.GetAsync(entry.Id, Ct))!;
        stored.LeaseOwner.Should().BeNull();
        stored.LeaseExpiresAt.Should().BeNull();
        stored.Status.Should().Be(OutboxStatus.Failed);
        stored.RetryCount.Should().Be(1);
        stored.NextAttemptAt.Should().Be(T0 + TimeSpan.FromMinutes(1));
        (await ClaimAsync(store, 1, T0 + TimeSpan.FromMinutes(1), "owner-c")).Should().ContainSingle().Which.LeaseOwner.Should().Be("owner-c");
    }

    [Fact]
    public async Task Release_by_a_stale_owner_does_not_touch_the_new_claim()
    {
        ConformanceStore store = await Fixture.CreateStoreAsync(cancellationToken: Ct);
        OutboxEntry entry = NewEntry(T0);
        await EnqueueAsync(store, entry);
        OutboxMessage stale = (await ClaimAsync(store, 1, T0, "owner-a", TimeSpan.FromMinutes(1))).Single();
        DateTimeOffset reclaimAt = T0 + TimeSpan.FromMinutes(2);
        OutboxMessage fresh = (await ClaimAsync(store, 1, reclaimAt, "owner-b", TimeSpan.FromMinutes(5))).Single();

        await store.Store.ReleaseAsync([stale], Ct);

        OutboxMessage stored = (await store.Admin.GetAsync(entry.Id, Ct))!;
        stored.LeaseOwner.Should().Be("owner-b");
        stored.LeaseExpiresAt.Should().Be(fresh.LeaseExpiresAt);
        (await ClaimAsync(store, 1, reclaimAt + TimeSpan.FromMinutes(1), "owner-c")).Should().BeEmpty();
    }

    [Fact]
    public async Task An_error_text_with_control_characters_is_stored_and_the_rest_of_the_batch_too()
    {
        ConformanceStore store = await Fixture.CreateStoreAsync(cancellationToken: Ct);
        await EnqueueAsync(store, NewEntries(2, T0), commit: true);
        IReadOnlyList<OutboxMessage> claimed = await ClaimAsync(store, 2, T0);
        claimed.Should().HaveCount(2);
        const string raw = "HTTP 500 Internal Server Error: err\0x\u0001\u007F";
        const string escaped = "HTTP 500 Internal Server Error: err\\u0000x\\u0001\\u007F";

        IReadOnlyCollection<Guid> rejected = await store.Store.CompleteAsync(
            [Failed(claimed[0], T0, T0 + TimeSpan.FromMinutes(1), raw), Sent(claimed[1], T0)], Ct);

        rejected.Should().BeEmpty();
        OutboxMessage failed = (await store.Admin.GetAsync(claimed[0].Id, Ct))!;
        failed.Status.Should().Be(OutboxStatus.Failed);
        failed.RetryCount.Should().Be(1);
        failed.LastError.Should().BeOneOf([raw, escaped], "a store keeps the text or escapes its control characters as \\uXXXX");
        (await store.Admin.GetAsync(claimed[1].Id, Ct))!.Status.Should().Be(OutboxStatus.Sent, "one odd outcome must not lose the others of its batch");
    }

    [Fact]
    public async Task Lease_tokens_are_compared_exactly_not_by_case_or_trailing_spaces()
    {
        (ConformanceStore store, OutboxEntry entry, OutboxMessage claimed) = await NewClaimedAsync("NODE/1");

        var otherCase = new OutboxMessage { Id = claimed.Id, MessageType = claimed.MessageType, Payload = claimed.Payload, LeaseOwner = "node/1" };
        await store.Store.ReleaseAsync([otherCase], Ct);
        (await store.Admin.GetAsync(entry.Id, Ct))!.LeaseOwner.Should().Be("NODE/1", "a release by another token (differing in case) must not touch the lease");

        foreach (string other in new[] { "node/1", "Node/1", "NODE/1 ", "NODE/1\t" })
        {
            (await store.Store.CompleteAsync([Sent(claimed, T0) with { LeaseOwner = other }], Ct))
                .Should().Equal([entry.Id], "the token '{0}' is not the claim's 'NODE/1'", other);
        }

        OutboxMessage stored = (await store.Admin.GetAsync(entry.Id, Ct))!;
        stored.Status.Should().Be(OutboxStatus.Pending);
        stored.LeaseOwner.Should().Be("NODE/1");
        (await store.Store.CompleteAsync([Sent(claimed, T0)], Ct)).Should().BeEmpty();
        (await store.Admin.GetAsync(entry.Id, Ct))!.Status.Should().Be(OutboxStatus.Sent);
    }
}
