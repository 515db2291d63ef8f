using System.Data.Common;
using System.Text;
using FluentAssertions;
using Xunit;

namespace OrderOutbox.Tests.Conformance;

/// <summary>Enqueue on the caller's transaction: commit/rollback, exact payload round-trip, transaction checks.</summary>
/// <typeparam name="TFixture">The store's fixture.</typeparam>
public abstract class EnqueueConformanceTests<TFixture>(TFixture fixture) : ConformanceTestBase<TFixture>(fixture)
    where TFixture : class, IOutboxStoreFixture
{
    /// <summary>The documented longest message type, the same in every store.</summary>
    private const int MaxMessageTypeLength = 200;

    /// <summary>The documented longest aggregate ID, the same in every store.</summary>
    private const int MaxAggregateIdLength = 450;

    [Fact]
    public async Task Commit_makes_the_record_pending_and_due_at_its_creation_time()
    {
        ConformanceStore store = await Fixture.CreateStoreAsync(cancellationToken: Ct);
        OutboxEntry entry = NewEntry(T0, headers: """{"traceparent":"00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"}""");

        await EnqueueAsync(store, entry);

        OutboxMessage? stored = await store.Admin.GetAsync(entry.Id, Ct);
        stored.Should().NotBeNull();
        stored!.Id.Should().Be(entry.Id);
        stored.MessageType.Should().Be(entry.MessageType);
        stored.AggregateId.Should().Be(entry.AggregateId);
        stored.Payload.Should().Be(entry.Payload);
        stored.Headers.Should().Be(entry.Headers);
        stored.Status.Should().Be(OutboxStatus.Pending);
        stored.RetryCount.Should().Be(0);
        stored.CreatedAt.Should().Be(T0);
        stored.NextAttemptAt.Should().Be(T0);
        stored.LastAttemptAt.Should().BeNull();
        stored.SentAt.Should().BeNull();
        stored.LastError.Should().BeNull();
        stored.LeaseOwner.Should().BeNull();
        stored.LeaseExpiresAt.Should().BeNull();

        (await ClaimAsync(store, 10, T0)).Should().ContainSingle().Which.Id.Should().Be(entry.Id);
    }

    [Fact]
    public async Task Rollback_leaves_nothing()
    {
        ConformanceStore store = await Fixture.CreateStoreAsync(cancellationToken: Ct);
        OutboxEntry entry = NewEntry(T0);

        await EnqueueAsync(store, [entry], commit: false);

        (await store.Admin.GetAsync(entry.Id, Ct)).Should().BeNull();
        (await ClaimAsync(store, 10, T0 + TimeSpan.FromDays(1))).Should().BeEmpty();
        OutboxStatistics stats = await store.Admin.GetStatisticsAsync(Ct);
        (stats.Pending + stats.Failed + stats.DeadLetter).Should().Be(0);
    }

    [Fact]
    public async Task Records_of_one_transaction_commit_together()
    {
        ConformanceStore store = await Fixture.CreateStoreAsync(cancellationToken: Ct);
        IReadOnlyList<OutboxEntry> entries = NewEntries(3, T0);

        await EnqueueAsync(store, entries);

        (await ClaimAsync(store, 10, T0)).Select(m => m.Id).Should().BeEquivalentTo(entries.Select(e => e.Id));
    }

    [Theory]
    [MemberData(nameof(ConformanceData.Payloads), MemberType = typeof(ConformanceData))]
    public async Task Payload_round_trips_exactly(string payload)
    {
        ConformanceStore store = await Fixture.CreateStoreAsync(cancellationToken: Ct);
        OutboxEntry entry = NewEntry(T0, payload, headers: """{"x-note":"한국어 ✓","x-quote":"\""}""");

        await EnqueueAsync(store, entry);

        OutboxMessage claimed = (await ClaimAsync(store, 1, T0)).Should().ContainSingle().Subject;
        claimed.Payload.Should().Be(payload);
        Encoding.UTF8.GetBytes(claimed.Payload).Should().Equal(Encoding.UTF8.GetBytes(payload));
        claimed.Headers.Should().Be(entry.Headers);
        (await store.Admin.GetAsync(entry.Id, Ct))!.Payload.Should().Be(payload);
    }

    [Fact]
    public async Task Payload_of_exactly_one_mebibyte_round_trips()
    {
        ConformanceStore store = await Fixture.CreateStoreAsync(cancellationToken: Ct);
        string payload = BuildPayload(OutboxOptions.DefaultMaxPayloadBytes);
        Encoding.UTF8.GetByteCount(payload).Should().Be(1024 * 1024);
        OutboxEntry entry = NewEntry(T0, payload);

        await EnqueueAsync(store, entry);

        OutboxMessage claimed = (await ClaimAsync(store, 1, T0)).Should().ContainSingle().Subject;
        (claimed.Payload == payload).Should().BeTrue("the 1 MiB payload must come back unchanged");
    }

    [Fact]
    public async Task Null_aggregate_id_and_headers_stay_null()
    {
        ConformanceStore store = await Fixture.CreateStoreAsync(cancellationToken: Ct);
        OutboxEntry entry = NewEntry(T0, aggregateId: null, headers: null);

        await EnqueueAsync(store, entry);

        OutboxMessage claimed = (await ClaimAsync(store, 1, T0)).Should().ContainSingle().Subject;
        claimed.AggregateId.Should().BeNull();
        claimed.Headers.Should().BeNull();
    }

    [Fact]
    public async Task Another_providers_transaction_is_rejected()
    {
        ConformanceStore store = await Fixture.CreateStoreAsync(cancellationToken: Ct);
        using var connection = new ForeignDbConnection();
        using DbTransaction transaction = connection.BeginTransaction();

        Func<Task> act = () => store.Store.EnqueueAsync(transaction, NewEntry(T0), Ct);

        await act.Should().ThrowAsync<ArgumentException>();
    }

    [Fact]
    public async Task A_transaction_whose_connection_was_closed_is_rejected()
    {
        ConformanceStore store = await Fixture.CreateStoreAsync(cancellationToken: Ct);
        await using DbConnection connection = await Fixture.OpenConnectionAsync(Ct);
        await using DbTransaction transaction = await connection.BeginTransactionAsync(Ct);
        await connection.CloseAsync();

        Func<Task> act = () => store.Store.EnqueueAsync(transaction, NewEntry(T0), Ct);

        await act.Should().ThrowAsync<ArgumentException>();
    }

    [Fact]
    public async Task A_null_transaction_or_entry_is_rejected()
    {
        ConformanceStore store = await Fixture.CreateStoreAsync(cancellationToken: Ct);
        await using DbConnection connection = await Fixture.OpenConnectionAsync(Ct);
        await using DbTransaction transaction = await connection.BeginTransactionAsync(Ct);

        await FluentActions.Awaiting(() => store.Store.EnqueueAsync(null!, NewEntry(T0), Ct)).Should().ThrowAsync<ArgumentNullException>();
        await FluentActions.Awaiting(() => store.Store.EnqueueAsync(transaction, null!, Ct)).Should().ThrowAsync<ArgumentNullException>();
    }

    [Fact]
    public async Task A_message_type_and_an_aggregate_id_of_the_documented_maximum_length_round_trip()
    {
        ConformanceStore store = await Fixture.CreateStoreAsync(cancellationToken: Ct);
        OutboxEntry entry = NewEntry(T0, messageType: new string('t', MaxMessageTypeLength), aggregateId: new string('주', MaxAggregateIdLength));

        await EnqueueAsync(store, entry);

        OutboxMessage stored = (await store.Admin.GetAsync(entry.Id, Ct))!;
        stored.MessageType.Should().Be(entry.MessageType);
        stored.AggregateId.Should().Be(entry.AggregateId);
    }

    [Theory]
    [MemberData(nameof(ConformanceData.UnstorableKeys), MemberType = typeof(ConformanceData))]
    public async Task An_unstorable_message_type_or_aggregate_id_is_refused_before_any_SQL_runs(string field, string value, string expected)
    {
        ConformanceStore store = await Fixture.CreateStoreAsync(cancellationToken: Ct);
        OutboxEntry bad = field == "messageType" ? NewEntry(T0, messageType: value) : NewEntry(T0, aggregateId: value);
        OutboxEntry good = NewEntry(T0);
        await using DbConnection connection = await Fixture.OpenConnectionAsync(Ct);
        await using DbTransaction transaction = await connection.BeginTransactionAsync(Ct);

        Func<Task> act = () => store.Store.EnqueueAsync(transaction, bad, Ct);

        (await act.Should().ThrowAsync<ArgumentException>()).Which.Message.Should().Contain(expected);

        // Nothing reached the database: the transaction is still usable (PostgreSQL would have aborted it) and commits.
        await store.Store.EnqueueAsync(transaction, good, Ct);
        await transaction.CommitAsync(Ct);
        (await store.Admin.GetAsync(bad.Id, Ct)).Should().BeNull();
        (await store.Admin.GetAsync(good.Id, Ct)).Should().NotBeNull();
    }

    [Fact]
    public async Task Headers_with_control_characters_are_stored()
    {
        ConformanceStore store = await Fixture.CreateStoreAsync(cancellationToken: Ct);
        const string raw = "{\"x-note\":\"a\u0000b\u0001c\"}";
        const string escaped = "{\"x-note\":\"a\\u0000b\\u0001c\"}";
        OutboxEntry entry = NewEntry(T0, headers: raw);

        await EnqueueAsync(store, entry);

        OutboxMessage stored = (await store.Admin.GetAsync(entry.Id, Ct))!;
        stored.Headers.Should().BeOneOf([raw, escaped], "a store keeps the headers or escapes their control characters as \\uXXXX");
    }

    private static string BuildPayload(int utf8Bytes)
    {
        const string prefix = "{\"data\":\"";
        const string suffix = "\"}";
        var builder = new StringBuilder(prefix);
        int remaining = utf8Bytes - prefix.Length - suffix.Length;
        const string chunk = "주문😀é\\\"x"; // Korean, an emoji (surrogate pair), Latin-1, an escaped quote
        int chunkBytes = Encoding.UTF8.GetByteCount(chunk);
        while (remaining >= chunkBytes)
        {
            builder.Append(chunk);
            remaining -= chunkBytes;
        }

        builder.Append('x', remaining).Append(suffix);
        return builder.ToString();
    }
}
