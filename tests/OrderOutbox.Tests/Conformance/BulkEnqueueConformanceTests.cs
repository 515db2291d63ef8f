using System.Data.Common;
using System.Text;
using FluentAssertions;
using OrderOutbox.Storage;
using Xunit;

namespace OrderOutbox.Tests.Conformance;

/// <summary>
/// Bulk enqueue (<see cref="IOutboxStore.EnqueueManyAsync"/>) on the caller's transaction: every record as a single
/// enqueue writes it, in input order, all or nothing, every entry checked before any SQL runs, and large batches in one call.
/// </summary>
/// <typeparam name="TFixture">The store's fixture.</typeparam>
public abstract class BulkEnqueueConformanceTests<TFixture>(TFixture fixture) : ConformanceTestBase<TFixture>(fixture)
    where TFixture : class, IOutboxStoreFixture
{
    [Fact]
    public async Task A_batch_commits_every_record_pending_and_due_at_its_creation_time_exactly_as_given()
    {
        ConformanceStore store = await Fixture.CreateStoreAsync(cancellationToken: Ct);
        OutboxEntry[] entries =
        [
            NewEntry(T0, headers: """{"traceparent":"00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"}"""),
            NewEntry(T0, aggregateId: null, headers: null),
            NewEntry(T0 + TimeSpan.FromSeconds(1), payload: "[1, 2 ,3]", messageType: "invoice.sent", aggregateId: "주문-7"),
        ];

        await EnqueueManyAsync(store, entries);

        foreach (OutboxEntry entry in entries)
        {
            OutboxMessage stored = (await store.Admin.GetAsync(entry.Id, Ct))!;
            stored.Should().NotBeNull();
            stored.Should().BeEquivalentTo(
                new
                {
                    entry.Id, entry.MessageType, entry.AggregateId, entry.Payload, entry.Headers, Status = OutboxStatus.Pending, RetryCount = 0,
                    entry.CreatedAt, NextAttemptAt = entry.CreatedAt, LastAttemptAt = (DateTimeOffset?)null, LeaseOwner = (string?)null,
                });
        }

        (await ClaimAsync(store, 10, T0)).Select(m => m.Id).Should().BeEquivalentTo([entries[0].Id, entries[1].Id], "the third is due a second later");
    }

    [Fact]
    public async Task Rollback_leaves_nothing()
    {
        ConformanceStore store = await Fixture.CreateStoreAsync(cancellationToken: Ct);
        IReadOnlyList<OutboxEntry> entries = NewEntries(5, T0);

        await EnqueueManyAsync(store, entries, commit: false);

        foreach (OutboxEntry entry in entries)
        {
            (await store.Admin.GetAsync(entry.Id, Ct)).Should().BeNull();
        }

        OutboxStatistics stats = await store.Admin.GetStatisticsAsync(Ct);
        (stats.Pending + stats.Failed + stats.DeadLetter).Should().Be(0);
    }

    [Theory]
    [InlineData("messageType")]
    [InlineData("aggregateId")]
    [InlineData("null")]
    public async Task A_bad_entry_in_the_middle_refuses_the_whole_batch_before_any_SQL_runs_and_names_its_index(string fault)
    {
        ConformanceStore store = await Fixture.CreateStoreAsync(cancellationToken: Ct);
        var entries = NewEntries(5, T0).ToList();
        entries[3] = fault switch
        {
            "messageType" => NewEntry(T0, messageType: "order\0completed"),
            "aggregateId" => NewEntry(T0, aggregateId: new string('a', 451)),
            _ => null!,
        };
        OutboxEntry good = NewEntry(T0);
        await using DbConnection connection = await Fixture.OpenConnectionAsync(Ct);
        await using DbTransaction transaction = await connection.BeginTransactionAsync(Ct);

        Func<Task> act = () => store.Store.EnqueueManyAsync(transaction, entries, Ct);

        ArgumentException refused = (await act.Should().ThrowAsync<ArgumentException>()).Which;
        refused.Message.Should().Contain("Entry 3 of the batch");
        refused.ParamName.Should().Be("entries");

        // Nothing reached the database: the transaction is still usable (PostgreSQL would have aborted it) and commits.
        await store.Store.EnqueueAsync(transaction, good, Ct);
        await transaction.CommitAsync(Ct);
        foreach (OutboxEntry? entry in entries.Where(e => e is not null))
        {
            (await store.Admin.GetAsync(entry!.Id, Ct)).Should().BeNull("no entry of the refused batch is written");
        }

        (await store.Admin.GetAsync(good.Id, Ct)).Should().NotBeNull();
    }

    [Fact]
    public async Task An_empty_batch_writes_nothing_and_leaves_the_transaction_usable()
    {
        ConformanceStore store = await Fixture.CreateStoreAsync(cancellationToken: Ct);
        OutboxEntry good = NewEntry(T0);
        await using DbConnection connection = await Fixture.OpenConnectionAsync(Ct);
        await using DbTransaction transaction = await connection.BeginTransactionAsync(Ct);

        await store.Store.EnqueueManyAsync(transaction, Array.Empty<OutboxEntry>(), Ct);
        await store.Store.EnqueueAsync(transaction, good, Ct);
        await transaction.CommitAsync(Ct);

        (await store.Admin.GetStatisticsAsync(Ct)).Pending.Should().Be(1);
    }

    [Fact]
    public async Task Bulk_and_single_enqueues_share_one_transaction()
    {
        ConformanceStore store = await Fixture.CreateStoreAsync(cancellationToken: Ct);
        OutboxEntry single = NewEntry(T0);
        IReadOnlyList<OutboxEntry> batch = NewEntries(3, T0);
        await using DbConnection connection = await Fixture.OpenConnectionAsync(Ct);
        await using DbTransaction transaction = await connection.BeginTransactionAsync(Ct);

        await store.Store.EnqueueAsync(transaction, single, Ct);
        await store.Store.EnqueueManyAsync(transaction, batch, Ct);
        await transaction.CommitAsync(Ct);

        (await ClaimAsync(store, 10, T0)).Select(m => m.Id).Should().BeEquivalentTo(batch.Select(e => e.Id).Prepend(single.Id));
    }

    [Fact]
    public async Task Payloads_round_trip_exactly_in_one_batch()
    {
        ConformanceStore store = await Fixture.CreateStoreAsync(cancellationToken: Ct);
        string[] payloads = ConformanceData.Payloads.Select(row => row.Data).ToArray();
        OutboxEntry[] entries = payloads
            .Select(p => NewEntry(T0, p, headers: """{"x-note":"한국어 ✓","x-quote":"\""}"""))
            .Append(NewEntry(T0, headers: "{\"x-note\":\"a\u0000b\"}"))
            .ToArray();

        await EnqueueManyAsync(store, entries);

        IReadOnlyList<OutboxMessage> claimed = await ClaimAsync(store, 100, T0);
        claimed.Should().HaveCount(entries.Length);
        foreach (OutboxEntry entry in entries)
        {
            OutboxMessage message = claimed.Single(m => m.Id == entry.Id);
            Encoding.UTF8.GetBytes(message.Payload).Should().Equal(Encoding.UTF8.GetBytes(entry.Payload));
            if (entry.Headers!.Contains('\0', StringComparison.Ordinal))
            {
                message.Headers.Should().BeOneOf([entry.Headers, "{\"x-note\":\"a\\u0000b\"}"]);
            }
            else
            {
                message.Headers.Should().Be(entry.Headers);
            }
        }
    }

    [Theory]
    [InlineData(257)]
    [InlineData(10_000)]
    public async Task A_large_batch_is_written_in_one_call_in_input_order(int count)
    {
        ConformanceStore store = await Fixture.CreateStoreAsync(cancellationToken: Ct);
        var entries = new List<OutboxEntry>(count);
        for (int i = 0; i < count; i++)
        {
            // One aggregate for all, so per-aggregate ordering reads the input order back (SQL Server orders by insert sequence).
            entries.Add(NewEntry(T0, payload: $$"""{"n":{{i}}}""", aggregateId: "bulk"));
        }

        await EnqueueManyAsync(store, entries);

        OutboxStatistics stats = await store.Admin.GetStatisticsAsync(Ct);
        stats.Pending.Should().Be(count);
        (await store.Admin.GetAsync(entries[^1].Id, Ct))!.Payload.Should().Be($$"""{"n":{{count - 1}}}""");
        IReadOnlyList<OutboxMessage> all = await ClaimAsync(store, count, T0);
        // Sorted and compared element by element: an unordered equivalency of 10,000 items is quadratic in FluentAssertions.
        all.Select(m => m.Id).Order().Should().Equal(entries.Select(e => e.Id).Order());
    }

    [Fact]
    public async Task Per_aggregate_ordering_follows_the_input_order()
    {
        ConformanceStore store = await Fixture.CreateStoreAsync(cancellationToken: Ct);
        // In ID order (tests running in parallel can make IDs of one instant out of order), so ID order = input order.
        OutboxEntry[] entries = [.. new[] { NewEntry(T0, aggregateId: "a"), NewEntry(T0, aggregateId: "a"), NewEntry(T0, aggregateId: "a") }.OrderBy(e => e.Id)];

        await EnqueueManyAsync(store, entries);

        for (int i = 0; i < entries.Length; i++)
        {
            IReadOnlyList<OutboxMessage> claimed = await store.Store.ClaimAsync(
                10, "owner-" + i, T0, T0 + TimeSpan.FromMinutes(5), ClaimOrdering.PerAggregate, Ct);
            OutboxMessage next = claimed.Should().ContainSingle().Subject;
            next.Id.Should().Be(entries[i].Id, "record {0} of the batch comes {0}th", i);
            (await store.Store.CompleteAsync([OutboxOutcome.Sent(next, T0, T0)], Ct)).Should().BeEmpty();
        }
    }

    [Fact]
    public async Task Another_providers_transaction_and_null_arguments_are_rejected()
    {
        ConformanceStore store = await Fixture.CreateStoreAsync(cancellationToken: Ct);
        using var foreign = new ForeignDbConnection();
        using DbTransaction foreignTransaction = foreign.BeginTransaction();
        await using DbConnection connection = await Fixture.OpenConnectionAsync(Ct);
        await using DbTransaction transaction = await connection.BeginTransactionAsync(Ct);

        await FluentActions.Awaiting(() => store.Store.EnqueueManyAsync(foreignTransaction, [NewEntry(T0)], Ct)).Should().ThrowAsync<ArgumentException>();
        await FluentActions.Awaiting(() => store.Store.EnqueueManyAsync(null!, [NewEntry(T0)], Ct)).Should().ThrowAsync<ArgumentNullException>();
        await FluentActions.Awaiting(() => store.Store.EnqueueManyAsync(transaction, null!, Ct)).Should().ThrowAsync<ArgumentNullException>();
    }

    private async Task EnqueueManyAsync(ConformanceStore store, IReadOnlyList<OutboxEntry> entries, bool commit = true)
    {
        await using DbConnection connection = await Fixture.OpenConnectionAsync(Ct);
        await using DbTransaction transaction = await connection.BeginTransactionAsync(Ct);
        await store.Store.EnqueueManyAsync(transaction, entries, Ct);
        if (commit)
        {
            await transaction.CommitAsync(Ct);
        }
        else
        {
            await transaction.RollbackAsync(Ct);
        }
    }
}
