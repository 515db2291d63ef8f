using System.Data.Common;
using System.Diagnostics.CodeAnalysis;
using System.Text;
using FluentAssertions;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using OrderOutbox.Diagnostics;
using OrderOutbox.Tests.Support;
using OrderOutbox.Writing;
using Xunit;

namespace OrderOutbox.Tests.Writing;

/// <summary>The writer's bulk enqueue and its already-serialised JSON enqueue, over a store that records what it is given.</summary>
public sealed class OutboxWriterBulkAndJsonTests : IDisposable
{
    private static readonly DateTimeOffset Now = new(2026, 3, 1, 9, 30, 15, 123, TimeSpan.Zero);
    private readonly FakeTimeProvider _time = new(Now);
    private readonly RecordingStore _store = new();
    private readonly DbTransaction _tx = new FakeDbTransaction(new FakeDbConnection());

    public void Dispose() => _tx.Dispose();

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private OutboxWriter Writer(OutboxOptions? options = null, IOutboxStore? store = null, IOutboxRouter? router = null)
        => new(store ?? _store, Options.Create(options ?? new OutboxOptions()), _time, new OutboxMetrics(null), router);

    [Fact]
    public async Task A_bulk_enqueue_hands_the_store_one_call_with_every_record_in_input_order()
    {
        OutboxItem<Order>[] items = [new("order.placed", new Order("o-1", 1m), "o-1"), new("order.paid", new Order("o-2", 2m)), new("order.placed", new Order("o-3", 3m), "o-3")];

        IReadOnlyList<Guid> ids = await Writer().EnqueueManyAsync(_tx, items, Ct);

        _store.Batches.Should().ContainSingle();
        IReadOnlyList<OutboxEntry> batch = _store.Batches[0];
        batch.Select(e => e.Id).Should().Equal(ids);
        batch.Select(e => (e.MessageType, e.AggregateId)).Should().Equal(("order.placed", "o-1"), ("order.paid", null), ("order.placed", "o-3"));
        batch[1].Payload.Should().Be("""{"id":"o-2","amount":2}""", "serialised with the writer's options (web defaults)");
        batch.Should().OnlyContain(e => e.CreatedAt == Now);
        _store.Singles.Should().BeEmpty();
    }

    [Fact]
    public async Task Ten_thousand_ids_of_one_instant_are_uuid_v7_and_increase_in_input_order()
    {
        // 10,000 IDs in one frozen millisecond: more than the generator's 4,096 per millisecond, so it borrows later ones.
        OutboxItem<Order>[] items = Enumerable.Range(0, 10_000).Select(i => new OutboxItem<Order>("order.placed", new Order("o-" + i, i))).ToArray();

        IReadOnlyList<Guid> ids = await Writer().EnqueueManyAsync(_tx, items, Ct);

        ids.Should().HaveCount(10_000).And.OnlyHaveUniqueItems();
        ids.Should().OnlyContain(id => UuidVersion(id) == 7);
        for (int i = 1; i < ids.Count; i++)
        {
            string.CompareOrdinal(ids[i - 1].ToString(), ids[i].ToString()).Should().BeNegative("ID {0} follows ID {1} in text (= time) order", i, i - 1);
        }

        MessageId.GetTimestamp(ids[0]).Should().Be(DateTimeOffset.FromUnixTimeMilliseconds(Now.ToUnixTimeMilliseconds()));
    }

    [Theory]
    [InlineData("01b8dac5-b400-73da-97b1-2085a0dabf30", "01b8dac5-b400-73da-97b1-2085a0dabf31")]
    [InlineData("01b8dac5-b400-73da-97b1-2085a0dabfff", "01b8dac5-b400-73da-97b1-2085a0dac000")]
    [InlineData("01b8dac5-b400-73da-bfff-ffffffffffff", "01b8dac5-b400-73db-8000-000000000000")]
    [InlineData("01b8dac5-b400-7fff-bfff-ffffffffffff", "01b8dac5-b401-7000-8000-000000000000")]
    public void The_successor_of_an_id_is_the_next_uuid_v7(string previous, string expected)
    {
        Guid next = OutboxEntryFactory.Successor(Guid.Parse(previous));

        next.Should().Be(Guid.Parse(expected));
        UuidVersion(next).Should().Be(7);
        next.CompareTo(Guid.Parse(previous)).Should().BePositive();
    }

    [Fact]
    public async Task Ids_of_a_batch_stay_in_input_order_when_another_thread_made_a_later_id_meanwhile()
    {
        _ = MessageId.NewId(Now + TimeSpan.FromDays(365)); // the generator's last millisecond is now a year after the batch's
        OutboxItem<Order>[] items = Enumerable.Range(0, 50).Select(i => new OutboxItem<Order>("order.placed", new Order("o-" + i, i))).ToArray();

        IReadOnlyList<Guid> ids = await Writer().EnqueueManyAsync(_tx, items, Ct);

        ids.Should().BeInAscendingOrder();
    }

    [Theory]
    [InlineData("messageType", "control character")]
    [InlineData("aggregateId", "451")]
    [InlineData("payload", "must not be null")]
    [InlineData("tooLarge", "MaxPayloadBytes")]
    public async Task A_bad_item_in_the_middle_refuses_the_call_naming_its_index_and_nothing_reaches_the_store(string fault, string expected)
    {
        var items = Enumerable.Range(0, 5).Select(i => new OutboxItem<object>("order.placed", new Order("o-" + i, i))).ToList();
        items[2] = fault switch
        {
            "messageType" => new("order\nplaced", new Order("o", 1)),
            "aggregateId" => new("order.placed", new Order("o", 1), new string('a', 451)),
            "payload" => new("order.placed", null!),
            "tooLarge" => new("order.placed", new Order(new string('x', 200), 1)),
            _ => new("order.placed", new Order(new string('x', 200), 1)),
        };
        var options = new OutboxOptions { MaxPayloadBytes = 100 };

        Func<Task> act = () => Writer(options).EnqueueManyAsync(_tx, items, Ct);

        ArgumentException error = (await act.Should().ThrowAsync<ArgumentException>()).Which;
        error.ParamName.Should().Be("items");
        error.Message.Should().Contain("Item 2 of the batch").And.Contain(expected);
        _store.Batches.Should().BeEmpty();
        _store.Singles.Should().BeEmpty();
    }

    [Fact]
    public async Task An_unrouted_message_type_in_a_batch_is_refused_before_the_store()
    {
        var router = new OneRouteRouter("order.placed");
        OutboxItem<Order>[] items = [new("order.placed", new Order("o-1", 1)), new("invoice.sent", new Order("o-2", 2))];

        Func<Task> act = () => Writer(router: router).EnqueueManyAsync(_tx, items, Ct);

        (await act.Should().ThrowAsync<ArgumentException>()).Which.Message.Should().Contain("Item 1");
        _store.Batches.Should().BeEmpty();
    }

    [Fact]
    public async Task An_empty_batch_sends_nothing_to_the_store()
    {
        IReadOnlyList<Guid> ids = await Writer().EnqueueManyAsync(_tx, Array.Empty<OutboxItem<Order>>(), Ct);

        ids.Should().BeEmpty();
        _store.Batches.Should().BeEmpty();
    }

    [Fact]
    public async Task A_closed_or_null_transaction_is_refused_for_a_batch()
    {
        using var closed = new FakeDbTransaction(new FakeDbConnection(System.Data.ConnectionState.Closed));
        OutboxItem<Order>[] items = [new("order.placed", new Order("o-1", 1))];

        await FluentActions.Awaiting(() => Writer().EnqueueManyAsync(closed, items, Ct)).Should().ThrowAsync<ArgumentException>().WithParameterName("transaction");
        await FluentActions.Awaiting(() => Writer().EnqueueManyAsync(null!, items, Ct)).Should().ThrowAsync<ArgumentNullException>();
        await FluentActions.Awaiting(() => Writer().EnqueueManyAsync<Order>(_tx, null!, Ct)).Should().ThrowAsync<ArgumentNullException>().WithParameterName("items");
        _store.Batches.Should().BeEmpty();
    }

    [Fact]
    public async Task A_store_without_its_own_bulk_insert_gets_the_records_one_by_one_after_all_are_checked()
    {
        var store = new SingleOnlyStore();
        OutboxItem<Order>[] items = [new("order.placed", new Order("o-1", 1)), new("order.placed", new Order("o-2", 2))];

        IReadOnlyList<Guid> ids = await Writer(store: store).EnqueueManyAsync(_tx, items, Ct);

        store.Singles.Select(e => e.Id).Should().Equal(ids);
    }

    [Fact]
    public async Task Raw_JSON_bytes_are_stored_exactly_as_given()
    {
        byte[] json = Encoding.UTF8.GetBytes("{ \"zeta\" : 1,\n  \"alpha\": \"Käse 🧀 \\u00e9\" }");

        Guid id = await Writer().EnqueueJsonAsync(_tx, "order.completed", json, "o-1", Ct);

        OutboxEntry entry = _store.Singles.Should().ContainSingle().Subject;
        entry.Id.Should().Be(id);
        Encoding.UTF8.GetBytes(entry.Payload).Should().Equal(json);
        entry.AggregateId.Should().Be("o-1");
    }

    [Fact]
    public async Task Raw_JSON_text_is_stored_exactly_as_given()
    {
        const string json = "[1,2 , {\"b\":null}]";

        await Writer().EnqueueJsonAsync(_tx, "order.completed", json, cancellationToken: Ct);

        _store.Singles.Single().Payload.Should().BeSameAs(json);
    }

    [Fact]
    public async Task Invalid_JSON_is_refused_naming_the_parameter_and_the_position_and_nothing_reaches_the_store()
    {
        Func<Task> bytes = () => Writer().EnqueueJsonAsync(_tx, "order.completed", Encoding.UTF8.GetBytes("{\"a\":1,}"), cancellationToken: Ct);
        Func<Task> text = () => Writer().EnqueueJsonAsync(_tx, "order.completed", "{\"a\":", cancellationToken: Ct);

        ArgumentException byteError = (await bytes.Should().ThrowAsync<ArgumentException>()).Which;
        byteError.ParamName.Should().Be("utf8Json");
        byteError.Message.Should().Contain("line 1, byte 8");
        (await text.Should().ThrowAsync<ArgumentException>()).Which.ParamName.Should().Be("json");
        _store.Singles.Should().BeEmpty();
    }

    [Fact]
    public async Task Raw_JSON_over_the_payload_limit_is_refused()
    {
        Func<Task> act = () => Writer(new OutboxOptions { MaxPayloadBytes = 10 }).EnqueueJsonAsync(_tx, "order.completed", "{\"a\":\"0123456789\"}", cancellationToken: Ct);

        (await act.Should().ThrowAsync<ArgumentException>()).Which.Message.Should().Contain("MaxPayloadBytes");
        _store.Singles.Should().BeEmpty();
    }

    [Fact]
    public async Task Raw_JSON_needs_an_explicit_message_type()
    {
        Func<Task> act = () => Writer().EnqueueAsync(_tx, OutboxJson.FromString("{}"), Ct);

        (await act.Should().ThrowAsync<ArgumentException>()).Which.Message.Should().Contain("message type");
        _store.Singles.Should().BeEmpty();
    }

    [Fact]
    public async Task A_bulk_enqueue_of_raw_JSON_stores_each_payload_as_given()
    {
        OutboxItem<OutboxJson>[] items = [new("a", OutboxJson.FromString("{ \"x\" : 1 }")), new("b", OutboxJson.FromUtf8("[true]"u8.ToArray()), "k")];

        await Writer().EnqueueManyAsync(_tx, items, Ct);

        _store.Batches.Single().Select(e => e.Payload).Should().Equal("{ \"x\" : 1 }", "[true]");
    }

    private sealed record Order(string Id, decimal Amount);

    private sealed class OneRouteRouter(string messageType) : IOutboxRouter
    {
        public IReadOnlyCollection<string> EndpointNames => ["default"];

        public bool TryGetEndpoint(string type, [NotNullWhen(true)] out string? endpointName)
        {
            endpointName = type == messageType ? "default" : null;
            return endpointName is not null;
        }
    }

    /// <summary>A store that only records the enqueues it is given.</summary>
    private class SingleOnlyStore : IOutboxStore
    {
        public List<OutboxEntry> Singles { get; } = [];

        public Task EnqueueAsync(DbTransaction transaction, OutboxEntry entry, CancellationToken cancellationToken = default)
        {
            Singles.Add(entry);
            return Task.CompletedTask;
        }

        public Task<IReadOnlyList<OutboxMessage>> ClaimAsync(int batchSize, string leaseOwner, DateTimeOffset now, DateTimeOffset leaseUntil, CancellationToken cancellationToken = default)
            => throw new NotSupportedException();

        public Task<IReadOnlyCollection<Guid>> CompleteAsync(IReadOnlyList<OutboxOutcome> outcomes, CancellationToken cancellationToken = default) => throw new NotSupportedException();

        public Task ReleaseAsync(IReadOnlyList<OutboxMessage> messages, CancellationToken cancellationToken = default) => throw new NotSupportedException();

        public Task EnsureSchemaAsync(CancellationToken cancellationToken = default) => throw new NotSupportedException();
    }

    /// <summary>A store with its own bulk insert, recording each batch.</summary>
    private sealed class RecordingStore : SingleOnlyStore, IOutboxStore
    {
        public List<IReadOnlyList<OutboxEntry>> Batches { get; } = [];

        public Task EnqueueManyAsync(DbTransaction transaction, IReadOnlyList<OutboxEntry> entries, CancellationToken cancellationToken = default)
        {
            Batches.Add(entries.ToArray());
            return Task.CompletedTask;
        }
    }

    // Guid.Version exists only from .NET 9; the version is the 13th hex digit of the canonical form.
    private static int UuidVersion(Guid id) => id.ToString("D")[14] - '0';
}
