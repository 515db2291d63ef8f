using System.Data;
using System.Data.Common;
using System.Diagnostics;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using FluentAssertions;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using NSubstitute;
using OrderOutbox.Diagnostics;
using OrderOutbox.Tests.Support;
using OrderOutbox.Writing;
using Xunit;

namespace OrderOutbox.Tests.Writing;

public sealed class OutboxWriterTests : IDisposable
{
    private static readonly JsonSerializerOptions Web = new(JsonSerializerDefaults.Web);

    private static readonly DateTimeOffset Now = new(2026, 3, 1, 9, 30, 15, 123, TimeSpan.Zero);
    private readonly FakeTimeProvider _time = new(Now);
    private readonly IOutboxStore _store = Substitute.For<IOutboxStore>();
    private readonly List<OutboxEntry> _written = [];
    private readonly DbTransaction _tx = new FakeDbTransaction(new FakeDbConnection());

    public OutboxWriterTests()
        => _store.EnqueueAsync(Arg.Any<DbTransaction>(), Arg.Do<OutboxEntry>(_written.Add), Arg.Any<CancellationToken>()).Returns(Task.CompletedTask);

    public void Dispose() => _tx.Dispose();

    private CancellationToken Ct => TestContext.Current.CancellationToken;

    private static Activity StartTrace(string traceState)
    {
        var activity = new Activity("place-order");
        activity.SetIdFormat(ActivityIdFormat.W3C);
        activity.TraceStateString = traceState;
        return activity.Start();
    }

    private async Task<string> EnqueueAndReadHeadersAsync()
    {
        await Writer().EnqueueAsync(_tx, "order.completed", new { A = 1 }, cancellationToken: Ct);
        return _written.Single().Headers!;
    }

    private OutboxWriter Writer(OutboxOptions? options = null) => new(_store, Options.Create(options ?? new OutboxOptions()), _time, new OutboxMetrics(null));

    [Fact]
    public async Task A_payload_is_serialised_once_and_stored_as_those_exact_bytes()
    {
        var payload = new OrderCompleted("o-1", "u-7", 12.50m, ["Käse 🧀", "naïve \"quoted\" \u00A0 spaced"]);

        Guid id = await Writer().EnqueueAsync(_tx, "order.completed", payload, "o-1", Ct);

        OutboxEntry entry = _written.Should().ContainSingle().Subject;
        byte[] expected = JsonSerializer.SerializeToUtf8Bytes(payload, Web);
        Encoding.UTF8.GetBytes(entry.Payload).Should().Equal(expected);
        entry.Should().BeEquivalentTo(new { Id = id, MessageType = "order.completed", AggregateId = "o-1", CreatedAt = Now, Headers = (string?)null });
        await _store.Received(1).EnqueueAsync(_tx, entry, Ct);
    }

    [Fact]
    public async Task The_configured_serializer_options_are_used()
    {
        var options = new OutboxOptions
        {
            JsonSerializerOptions = new JsonSerializerOptions { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping, WriteIndented = false },
        };

        await Writer(options).EnqueueAsync(_tx, "order.completed", new OrderCompleted("o-1", "u", 1m, ["Käse"]), cancellationToken: Ct);

        _written.Single().Payload.Should().Be("{\"OrderId\":\"o-1\",\"UserId\":\"u\",\"Amount\":1,\"Items\":[\"Käse\"]}");
    }

    [Fact]
    public async Task The_message_id_is_a_uuid_v7_of_the_enqueue_time()
    {
        Guid id = await Writer().EnqueueAsync(_tx, "order.completed", new { A = 1 }, cancellationToken: Ct);

        id.ToString()[14].Should().Be('7');
        MessageId.GetTimestamp(id).Should().Be(Now);
    }

    [Fact]
    public async Task The_message_type_comes_from_the_attribute_or_else_the_type_name()
    {
        await Writer().EnqueueAsync(_tx, new OrderCompleted("o", "u", 1m, []), Ct);
        await Writer().EnqueueAsync(_tx, new Untyped(3), Ct);

        _written.Select(e => e.MessageType).Should().Equal("order.completed", nameof(Untyped));
    }

    [Fact]
    public async Task The_current_trace_context_is_captured_into_the_headers()
    {
        using Activity activity = StartTrace("congo=t61rcWkgMzE");

        string headers = await EnqueueAndReadHeadersAsync();
        using JsonDocument doc = JsonDocument.Parse(headers);
        doc.RootElement.GetProperty("traceparent").GetString().Should().Be(activity.Id).And.StartWith("00-" + activity.TraceId);
        doc.RootElement.GetProperty("tracestate").GetString().Should().Be("congo=t61rcWkgMzE");
    }

    [Fact]
    public async Task Headers_written_at_enqueue_hold_no_raw_control_character_even_when_the_trace_state_does()
    {
        using Activity activity = StartTrace("congo=a\0b\u0001c");

        string headers = await EnqueueAndReadHeadersAsync();
        headers.Should().NotContain("\0").And.NotContain("\u0001").And.Contain("\\u0000");
        using JsonDocument doc = JsonDocument.Parse(headers);
        doc.RootElement.GetProperty("tracestate").GetString().Should().Be("congo=a\0b\u0001c", "the JSON escape keeps the value");
    }

    [Fact]
    public async Task A_null_payload_is_refused_before_the_database_is_touched()
    {
        Func<Task> act = () => Writer().EnqueueAsync<OrderCompleted?>(_tx, "order.completed", null, cancellationToken: Ct);
        Func<Task> typed = () => Writer().EnqueueAsync<OrderCompleted?>(_tx, null, Ct);

        (await act.Should().ThrowAsync<ArgumentNullException>()).Which.ParamName.Should().Be("payload");
        (await typed.Should().ThrowAsync<ArgumentNullException>()).Which.ParamName.Should().Be("payload");
        await AssertStoreNotCalled();
    }

    [Theory]
    [InlineData("")]
    [InlineData("   ")]
    [InlineData("\t\n")]
    public async Task A_blank_message_type_is_refused(string messageType)
    {
        Func<Task> act = () => Writer().EnqueueAsync(_tx, messageType, new { A = 1 }, cancellationToken: Ct);

        (await act.Should().ThrowAsync<ArgumentException>()).Which.ParamName.Should().Be("messageType");
        await AssertStoreNotCalled();
    }

    [Fact]
    public async Task A_null_message_type_is_refused()
    {
        Func<Task> act = () => Writer().EnqueueAsync(_tx, null!, new { A = 1 }, cancellationToken: Ct);

        await act.Should().ThrowAsync<ArgumentNullException>().WithParameterName("messageType");
        await AssertStoreNotCalled();
    }

    [Fact]
    public async Task A_message_type_over_200_characters_is_refused_but_200_is_fine()
    {
        Func<Task> tooLong = () => Writer().EnqueueAsync(_tx, new string('t', 201), new { A = 1 }, cancellationToken: Ct);

        (await tooLong.Should().ThrowAsync<ArgumentException>()).WithMessage("*201*200*");
        await AssertStoreNotCalled();
        await Writer().EnqueueAsync(_tx, new string('t', 200), new { A = 1 }, cancellationToken: Ct);
        _written.Should().ContainSingle();
    }

    [Theory]
    [InlineData("order\0completed", "U+0000", 5)]
    [InlineData("order.completed\r", "U+000D", 15)]
    [InlineData("\u001Border", "U+001B", 0)]
    [InlineData("order\u0085", "U+0085", 5)]
    public async Task A_message_type_with_a_control_character_is_refused_naming_the_character_and_where_it_is(string messageType, string character, int index)
    {
        Func<Task> act = () => Writer().EnqueueAsync(_tx, messageType, new { A = 1 }, "o-1", Ct);

        ArgumentException error = (await act.Should().ThrowAsync<ArgumentException>()).Which;
        error.ParamName.Should().Be("messageType");
        error.Message.Should().Contain(character).And.Contain("index " + index);
        await AssertStoreNotCalled();
    }

    [Fact]
    public async Task An_aggregate_id_over_450_characters_or_with_a_control_character_is_refused_but_450_is_fine()
    {
        Func<Task> tooLong = () => Writer().EnqueueAsync(_tx, "order.completed", new { A = 1 }, new string('a', 451), Ct);
        Func<Task> control = () => Writer().EnqueueAsync(_tx, "order.completed", new { A = 1 }, "order-1\n", Ct);

        (await tooLong.Should().ThrowAsync<ArgumentException>()).Which.Should().Match<ArgumentException>(e => e.ParamName == "aggregateId" && e.Message.Contains("451") && e.Message.Contains("450"));
        (await control.Should().ThrowAsync<ArgumentException>()).Which.Should().Match<ArgumentException>(e => e.ParamName == "aggregateId" && e.Message.Contains("U+000A"));
        await AssertStoreNotCalled();
        await Writer().EnqueueAsync(_tx, "order.completed", new { A = 1 }, new string('a', 450), Ct);
        _written.Should().ContainSingle().Which.AggregateId.Should().HaveLength(450);
    }

    [Fact]
    public async Task A_payload_over_the_limit_is_refused_naming_its_size_the_limit_and_the_option()
    {
        var options = new OutboxOptions { MaxPayloadBytes = 100 };
        var payload = new { Text = new string('x', 200) }; // {"text":"xxx…"} = 211 bytes

        Func<Task> act = () => Writer(options).EnqueueAsync(_tx, "big", payload, cancellationToken: Ct);

        (await act.Should().ThrowAsync<ArgumentException>())
            .WithMessage("*211 bytes*MaxPayloadBytes*at most 100 bytes*")
            .Which.ParamName.Should().Be("payload");
        await AssertStoreNotCalled();
    }

    [Fact]
    public async Task A_payload_exactly_at_the_limit_is_accepted()
    {
        var options = new OutboxOptions { MaxPayloadBytes = 211 };

        await Writer(options).EnqueueAsync(_tx, "big", new { Text = new string('x', 200) }, cancellationToken: Ct);

        Encoding.UTF8.GetByteCount(_written.Single().Payload).Should().Be(211);
    }

    [Fact]
    public async Task A_null_transaction_is_refused()
    {
        Func<Task> act = () => Writer().EnqueueAsync(null!, "order.completed", new { A = 1 }, cancellationToken: Ct);

        await act.Should().ThrowAsync<ArgumentNullException>().WithParameterName("transaction");
        await AssertStoreNotCalled();
    }

    [Fact]
    public async Task A_committed_transaction_is_refused()
    {
        var tx = new FakeDbTransaction(new FakeDbConnection());
        tx.Commit();

        Func<Task> act = () => Writer().EnqueueAsync(tx, "order.completed", new { A = 1 }, cancellationToken: Ct);

        (await act.Should().ThrowAsync<ArgumentException>()).WithMessage("*already committed*").Which.ParamName.Should().Be("transaction");
        await AssertStoreNotCalled();
    }

    [Fact]
    public async Task A_transaction_whose_connection_is_not_open_is_refused()
    {
        var tx = new FakeDbTransaction(new FakeDbConnection(ConnectionState.Closed));

        Func<Task> act = () => Writer().EnqueueAsync(tx, "order.completed", new { A = 1 }, cancellationToken: Ct);

        (await act.Should().ThrowAsync<ArgumentException>()).WithMessage("*Closed*Open*");
        await AssertStoreNotCalled();
    }

    [Fact]
    public async Task A_payload_with_a_cycle_is_refused_naming_its_type()
    {
        var node = new Node();
        node.Next = node;

        Func<Task> act = () => Writer().EnqueueAsync(_tx, "node", node, cancellationToken: Ct);

        (await act.Should().ThrowAsync<ArgumentException>()).WithMessage($"*{typeof(Node).FullName}*cannot be serialised*");
        await AssertStoreNotCalled();
    }

    [Fact]
    public async Task A_payload_the_serializer_cannot_handle_is_refused_naming_its_type()
    {
        Func<Task> act = () => Writer().EnqueueAsync(_tx, "callback", new WithDelegate(() => { }), cancellationToken: Ct);

        (await act.Should().ThrowAsync<ArgumentException>()).WithMessage($"*{typeof(WithDelegate).FullName}*");
        await AssertStoreNotCalled();
    }

    [Fact]
    public async Task A_payload_is_serialised_as_its_runtime_type()
    {
        object payload = new Untyped(42);

        await Writer().EnqueueAsync(_tx, "untyped", payload, cancellationToken: Ct);

        _written.Single().Payload.Should().Be("{\"value\":42}");
    }

    private async Task AssertStoreNotCalled()
        => await _store.DidNotReceiveWithAnyArgs().EnqueueAsync(default!, default!, default);

    [OutboxMessageType("order.completed")]
    public sealed record OrderCompleted(string OrderId, string UserId, decimal Amount, string[] Items);

    public sealed record Untyped(int Value);

    public sealed class Node
    {
        public Node? Next { get; set; }
    }

    public sealed record WithDelegate(Action Callback);
}
