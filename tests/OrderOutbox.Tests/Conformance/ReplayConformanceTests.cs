using FluentAssertions;
using Microsoft.Extensions.Time.Testing;
using Xunit;

namespace OrderOutbox.Tests.Conformance;

/// <summary>
/// Replay of dead letters by filter: the dry-run count, the filtered listing, the batched requeue with
/// <c>requeued_at</c>, bad input, and the migration of a table made by the 0.1 schema script. Every bound is tested
/// with records on both sides of it, and a replay must never touch a record outside its filter.
/// </summary>
/// <typeparam name="TFixture">The store's fixture.</typeparam>
public abstract class ReplayConformanceTests<TFixture>(TFixture fixture) : ConformanceTestBase<TFixture>(fixture)
    where TFixture : class, IOutboxStoreFixture
{
    private static readonly DateTimeOffset Now = T0 + TimeSpan.FromDays(2);

    [Fact]
    public async Task A_replay_requeues_exactly_the_dead_letters_inside_every_bound_and_touches_nothing_else()
    {
        var clock = new FakeTimeProvider(Now);
        ConformanceStore store = await Fixture.CreateStoreAsync(clock, Ct);
        TimeSpan second = TimeSpan.FromSeconds(1);
        DateTimeOffset createdFrom = T0, createdBefore = T0 + TimeSpan.FromHours(1);
        DateTimeOffset attemptFrom = T0 + TimeSpan.FromHours(2), attemptBefore = T0 + TimeSpan.FromHours(3);
        var filter = new DeadLetterFilter
        {
            MessageType = "order.completed",
            AggregateId = "order-7",
            CreatedFrom = createdFrom,
            CreatedBefore = createdBefore,
            LastAttemptFrom = attemptFrom,
            LastAttemptBefore = attemptBefore,
            LastErrorContains = "HTTP 503",
        };

        // Created in time order, so each set-up claim takes the record it just enqueued.
        var outside = new List<Guid>
        {
            await RecordAsync(store, OutboxStatus.DeadLetter, createdFrom - second, attemptFrom),                        // created just before the range
        };
        Guid atLowerBounds = await RecordAsync(store, OutboxStatus.DeadLetter, createdFrom, attemptFrom);                   // both From bounds are inclusive
        outside.Add(await RecordAsync(store, OutboxStatus.DeadLetter, createdFrom + second, attemptFrom - second));        // attempted just before
        outside.Add(await RecordAsync(store, OutboxStatus.DeadLetter, createdFrom + 2 * second, attemptBefore));           // attempted at the exclusive bound
        outside.Add(await RecordAsync(store, OutboxStatus.DeadLetter, createdFrom + 3 * second, attemptFrom, type: "order.cancelled"));
        outside.Add(await RecordAsync(store, OutboxStatus.DeadLetter, createdFrom + 4 * second, attemptFrom, type: "Order.Completed"));
        outside.Add(await RecordAsync(store, OutboxStatus.DeadLetter, createdFrom + 5 * second, attemptFrom, aggregateId: "order-8"));
        outside.Add(await RecordAsync(store, OutboxStatus.DeadLetter, createdFrom + 6 * second, attemptFrom, aggregateId: "ORDER-7"));
        outside.Add(await RecordAsync(store, OutboxStatus.DeadLetter, createdFrom + 7 * second, attemptFrom, aggregateId: null));
        outside.Add(await RecordAsync(store, OutboxStatus.DeadLetter, createdFrom + 8 * second, attemptFrom, error: "HTTP 500 Internal Server Error"));
        outside.Add(await RecordAsync(store, OutboxStatus.DeadLetter, createdFrom + 9 * second, attemptFrom, error: "http 503 service unavailable"));
        outside.Add(await RecordAsync(store, OutboxStatus.Sent, createdFrom + 10 * second, attemptFrom));                  // matches, but not a dead letter
        outside.Add(await RecordAsync(store, OutboxStatus.Failed, createdFrom + 11 * second, attemptFrom));
        Guid atUpperBounds = await RecordAsync(store, OutboxStatus.DeadLetter, createdBefore - second, attemptBefore - second);
        outside.Add(await RecordAsync(store, OutboxStatus.DeadLetter, createdBefore, attemptFrom));                       // created at the exclusive bound
        OutboxEntry pending = NewEntry(createdFrom + 12 * second, aggregateId: "order-7");
        await EnqueueAsync(store, pending);
        outside.Add(pending.Id);
        Dictionary<Guid, OutboxMessage> before = await ReadAllAsync(store, outside);

        (await store.Admin.CountDeadLettersAsync(filter, Ct)).Should().Be(2, "the dry run counts what the replay will requeue");
        (await store.Admin.ListDeadLettersAsync(filter, 100, null, Ct)).Select(m => m.Id).Should().Equal(atLowerBounds, atUpperBounds);

        long requeued = await store.Admin.RequeueDeadLettersAsync(filter, 1, null, Ct);

        requeued.Should().Be(2);
        foreach (Guid id in new[] { atLowerBounds, atUpperBounds })
        {
            OutboxMessage replayed = (await store.Admin.GetAsync(id, Ct))!;
            replayed.Status.Should().Be(OutboxStatus.Pending);
            replayed.RetryCount.Should().Be(0);
            replayed.NextAttemptAt.Should().Be(Now);
            replayed.RequeuedAt.Should().Be(Now);
            replayed.LastError.Should().StartWith("HTTP 503", "the last error is kept for history");
        }

        (await ReadAllAsync(store, outside)).Should().BeEquivalentTo(before, "a replay never touches a record outside its filter");
        (await store.Admin.CountDeadLettersAsync(filter, Ct)).Should().Be(0);
    }

    [Fact]
    public async Task Explicit_ids_select_only_those_dead_letters()
    {
        var clock = new FakeTimeProvider(Now);
        ConformanceStore store = await Fixture.CreateStoreAsync(clock, Ct);
        Guid named = await RecordAsync(store, OutboxStatus.DeadLetter, T0, T0);
        Guid notNamed = await RecordAsync(store, OutboxStatus.DeadLetter, T0 + TimeSpan.FromSeconds(1), T0);
        Guid namedButSent = await RecordAsync(store, OutboxStatus.Sent, T0 + TimeSpan.FromSeconds(2), T0);
        var filter = new DeadLetterFilter { Ids = [named, namedButSent, Guid.NewGuid(), named] };

        (await store.Admin.CountDeadLettersAsync(filter, Ct)).Should().Be(1);
        (await store.Admin.RequeueDeadLettersAsync(filter, cancellationToken: Ct)).Should().Be(1);

        (await store.Admin.GetAsync(named, Ct))!.Status.Should().Be(OutboxStatus.Pending);
        (await store.Admin.GetAsync(notNamed, Ct))!.Status.Should().Be(OutboxStatus.DeadLetter);
        (await store.Admin.GetAsync(namedButSent, Ct))!.Status.Should().Be(OutboxStatus.Sent);
    }

    [Theory]
    [InlineData("5_3", "code 5_3 refused", "HTTP 503 Service Unavailable")]
    [InlineData("100%", "100% of quota used", "HTTP 1000 odd")]
    [InlineData("[a]", "bad [a] header", "bad a header")]
    public async Task Error_text_is_matched_literally_without_wildcards(string text, string matching, string notMatching)
    {
        ConformanceStore store = await Fixture.CreateStoreAsync(new FakeTimeProvider(Now), Ct);
        Guid match = await RecordAsync(store, OutboxStatus.DeadLetter, T0, T0, error: matching);
        Guid noMatch = await RecordAsync(store, OutboxStatus.DeadLetter, T0 + TimeSpan.FromSeconds(1), T0, error: notMatching);

        (await store.Admin.RequeueDeadLettersAsync(new DeadLetterFilter { LastErrorContains = text }, cancellationToken: Ct)).Should().Be(1);

        (await store.Admin.GetAsync(match, Ct))!.Status.Should().Be(OutboxStatus.Pending);
        (await store.Admin.GetAsync(noMatch, Ct))!.Status.Should().Be(OutboxStatus.DeadLetter);
    }

    [Fact]
    public async Task A_large_replay_runs_in_batches_and_reports_progress_after_each()
    {
        var clock = new FakeTimeProvider(Now);
        ConformanceStore store = await Fixture.CreateStoreAsync(clock, Ct);
        var dead = new List<Guid>();
        for (int i = 0; i < 25; i++)
        {
            dead.Add(await RecordAsync(store, OutboxStatus.DeadLetter, T0 + TimeSpan.FromSeconds(i), T0 + TimeSpan.FromHours(1)));
        }

        var progress = new RecordingProgress();

        long requeued = await store.Admin.RequeueDeadLettersAsync(DeadLetterFilter.All, 10, progress, Ct);

        requeued.Should().Be(25);
        progress.Reports.Should().Equal(10, 20, 25);
        (await store.Admin.GetStatisticsAsync(Ct)).Should().Match<OutboxStatistics>(s => s.DeadLetter == 0 && s.Pending == 25 && s.Due == 25);
        (await ClaimAsync(store, 100, Now)).Select(m => m.Id).Should().BeEquivalentTo(dead);
    }

    [Fact]
    public async Task The_filtered_listing_pages_without_gaps_or_repeats()
    {
        ConformanceStore store = await Fixture.CreateStoreAsync(new FakeTimeProvider(Now), Ct);
        var wanted = new List<Guid>();
        for (int i = 0; i < 5; i++)
        {
            wanted.Add(await RecordAsync(store, OutboxStatus.DeadLetter, T0 + TimeSpan.FromSeconds(2 * i), T0, type: "order.completed"));
            await RecordAsync(store, OutboxStatus.DeadLetter, T0 + TimeSpan.FromSeconds((2 * i) + 1), T0, type: "order.cancelled");
        }

        var filter = new DeadLetterFilter { MessageType = "order.completed" };
        IReadOnlyList<OutboxMessage> first = await store.Admin.ListDeadLettersAsync(filter, 2, null, Ct);
        IReadOnlyList<OutboxMessage> second = await store.Admin.ListDeadLettersAsync(filter, 2, first[^1].Id, Ct);
        IReadOnlyList<OutboxMessage> third = await store.Admin.ListDeadLettersAsync(filter, 2, second[^1].Id, Ct);

        first.Concat(second).Concat(third).Select(m => m.Id).Should().Equal(wanted);
        third.Should().HaveCount(1);
    }

    [Fact]
    public async Task Requeueing_one_dead_letter_records_when()
    {
        var clock = new FakeTimeProvider(Now);
        ConformanceStore store = await Fixture.CreateStoreAsync(clock, Ct);
        Guid dead = await RecordAsync(store, OutboxStatus.DeadLetter, T0, T0);
        (await store.Admin.GetAsync(dead, Ct))!.RequeuedAt.Should().BeNull("never requeued yet");
        clock.Advance(TimeSpan.FromMinutes(3));

        (await store.Admin.RequeueDeadLetterAsync(dead, Ct)).Should().BeTrue();

        (await store.Admin.GetAsync(dead, Ct))!.RequeuedAt.Should().Be(Now + TimeSpan.FromMinutes(3));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(DeadLetterFilter.MaxBatchSize + 1)]
    public async Task A_batch_size_out_of_range_is_refused_before_anything_changes(int batchSize)
    {
        ConformanceStore store = await Fixture.CreateStoreAsync(new FakeTimeProvider(Now), Ct);
        Guid dead = await RecordAsync(store, OutboxStatus.DeadLetter, T0, T0);

        (await FluentActions.Awaiting(() => store.Admin.RequeueDeadLettersAsync(DeadLetterFilter.All, batchSize, null, Ct))
            .Should().ThrowAsync<ArgumentOutOfRangeException>())
            .Which.Message.Should().Contain("batchSize").And.Contain(batchSize.ToString(System.Globalization.CultureInfo.InvariantCulture)).And.Contain("2,000");
        (await store.Admin.GetAsync(dead, Ct))!.Status.Should().Be(OutboxStatus.DeadLetter);
    }

    [Fact]
    public async Task A_filter_that_contradicts_itself_is_refused_with_the_fields_named_before_anything_changes()
    {
        ConformanceStore store = await Fixture.CreateStoreAsync(new FakeTimeProvider(Now), Ct);
        Guid dead = await RecordAsync(store, OutboxStatus.DeadLetter, T0, T0);
        var filter = new DeadLetterFilter { CreatedFrom = T0 + TimeSpan.FromHours(1), CreatedBefore = T0 };

        foreach (Func<Task> call in new Func<Task>[]
                 {
                     () => store.Admin.RequeueDeadLettersAsync(filter, cancellationToken: Ct),
                     () => store.Admin.CountDeadLettersAsync(filter, Ct),
                     () => store.Admin.ListDeadLettersAsync(filter, 10, null, Ct),
                 })
        {
            (await call.Should().ThrowAsync<ArgumentException>())
                .Which.Message.Should().Contain("CreatedFrom").And.Contain("CreatedBefore");
        }

        (await store.Admin.GetAsync(dead, Ct))!.Status.Should().Be(OutboxStatus.DeadLetter);
    }

    [Fact]
    public async Task EnsureSchema_migrates_a_table_made_by_the_0_1_script_and_keeps_its_rows()
    {
        var clock = new FakeTimeProvider(Now);
        ConformanceStore store = Fixture.CreateStore(timeProvider: clock);
        await Fixture.CreateVersion01TableAsync(store.TableName, Ct);
        IReadOnlyList<OutboxEntry> entries = [NewEntry(T0, aggregateId: "a"), NewEntry(T0 + TimeSpan.FromSeconds(1), aggregateId: "b")];
        await EnqueueAsync(store, entries, commit: true);

        await store.Store.EnsureSchemaAsync(Ct);
        await store.Store.EnsureSchemaAsync(Ct);

        foreach (OutboxEntry entry in entries)
        {
            OutboxMessage kept = (await store.Admin.GetAsync(entry.Id, Ct))!;
            kept.Should().NotBeNull();
            kept.Payload.Should().Be(entry.Payload);
            kept.AggregateId.Should().Be(entry.AggregateId);
            kept.RequeuedAt.Should().BeNull();
        }

        IReadOnlyList<OutboxMessage> claimed = await ClaimAsync(store, 10, T0 + TimeSpan.FromMinutes(1));
        claimed.Should().HaveCount(2);
        (await store.Store.CompleteAsync(claimed.Select(m => OutboxOutcome.DeadLetter(m, T0 + TimeSpan.FromMinutes(1), T0 + TimeSpan.FromMinutes(1), "HTTP 400 Bad Request")).ToList(), Ct)).Should().BeEmpty();
        (await store.Admin.RequeueDeadLettersAsync(new DeadLetterFilter { AggregateId = "b" }, cancellationToken: Ct)).Should().Be(1);
        (await store.Admin.GetAsync(entries[1].Id, Ct))!.RequeuedAt.Should().Be(Now);
    }

    private async Task<Guid> RecordAsync(
        ConformanceStore store,
        OutboxStatus status,
        DateTimeOffset createdAt,
        DateTimeOffset attemptAt,
        string type = "order.completed",
        string? aggregateId = "order-7",
        string error = "HTTP 503 Service Unavailable")
    {
        OutboxEntry entry = NewEntry(createdAt, messageType: type, aggregateId: aggregateId);
        await EnqueueAsync(store, entry);
        IReadOnlyList<OutboxMessage> claimed = await store.Store.ClaimAsync(1, "setup-" + entry.Id, createdAt, createdAt + TimeSpan.FromMinutes(1), Ct);
        claimed.Should().ContainSingle().Which.Id.Should().Be(entry.Id);
        OutboxOutcome outcome = status switch
        {
            OutboxStatus.DeadLetter => OutboxOutcome.DeadLetter(claimed[0], attemptAt, attemptAt, error),
            OutboxStatus.Failed => OutboxOutcome.Failed(claimed[0], attemptAt, attemptAt, Now + TimeSpan.FromDays(30), error),
            OutboxStatus.Sent => OutboxOutcome.Sent(claimed[0], attemptAt, attemptAt),
            _ => throw new ArgumentOutOfRangeException(nameof(status)),
        };
        (await store.Store.CompleteAsync([outcome], Ct)).Should().BeEmpty();
        return entry.Id;
    }

    private static async Task<Dictionary<Guid, OutboxMessage>> ReadAllAsync(ConformanceStore store, IEnumerable<Guid> ids)
    {
        var rows = new Dictionary<Guid, OutboxMessage>();
        foreach (Guid id in ids)
        {
            rows[id] = (await store.Admin.GetAsync(id, Ct))!;
        }

        return rows;
    }

    private sealed class RecordingProgress : IProgress<long>
    {
        public List<long> Reports { get; } = [];

        public void Report(long value) => Reports.Add(value);
    }
}
