using System.Collections.Concurrent;
using System.Data.Common;
using System.Diagnostics;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using FluentAssertions;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Time.Testing;
using OrderOutbox.Storage;
using OrderOutbox.Tests.Support;
using Xunit;

namespace OrderOutbox.Tests.EndToEnd;

/// <summary>
/// End-to-end: a real Generic Host with <c>AddOrderOutbox().Use…().UseHttpDispatcher()</c> over a real database of the
/// store's provider, business transactions that update an <c>orders</c> table and enqueue on the same transaction, and a
/// real loopback HTTP receiver. One sealed subclass per store runs it. Waits are bounded and event-driven (each receiver
/// request or engine log entry re-checks the condition); the only real-time delays are the 100–200 ms backoffs and the
/// 200 ms polling interval configured here.
/// </summary>
/// <typeparam name="TFixture">The store's fixture.</typeparam>
public abstract class EndToEndTests<TFixture> : IClassFixture<TFixture>
    where TFixture : class, IEndToEndStoreFixture
{
    /// <summary>The bound of every wait for delivery (generous: the machine is shared and loaded).</summary>
    private protected static readonly TimeSpan Deadline = TimeSpan.FromSeconds(90);

    /// <summary>A short idle poll, so retries fall due quickly.</summary>
    private protected static readonly TimeSpan ShortPoll = TimeSpan.FromMilliseconds(200);

    /// <summary>
    /// The serializer the hosts use: indented, non-ASCII kept as raw UTF-8. Any re-normalisation of the stored text
    /// (a JSON column type, a lossy encoding) would change the bytes the receiver sees.
    /// </summary>
    private protected static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        WriteIndented = true,
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    private const string MessageType = "order.completed";

    protected EndToEndTests(TFixture fixture) => Fixture = fixture;

    protected TFixture Fixture { get; }

    protected static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Committed_orders_arrive_once_each_byte_for_byte_and_rolled_back_ones_never()
    {
        const int orderCount = 200;
        string orders = await CreateOrdersTableAsync(orderCount);
        await using EndToEndHost host = await StartHostAsync(o => o.PollingInterval = ShortPoll);

        // Four writers at once while the dispatcher runs; every 5th business transaction rolls back.
        var committed = new ConcurrentDictionary<Guid, (OrderCompleted Order, byte[] Body)>();
        var rolledBack = new ConcurrentDictionary<Guid, OrderCompleted>();
        await Parallel.ForEachAsync(
            Enumerable.Range(0, orderCount),
            new ParallelOptions { MaxDegreeOfParallelism = 4, CancellationToken = Ct },
            async (i, ct) =>
            {
                OrderCompleted order = NewOrder(i);
                bool commit = i % 5 != 4;
                Completion completion = await CompleteOrderAsync(host, orders, order, commit, ct);
                if (commit)
                {
                    committed[completion.MessageId] = (order, JsonSerializer.SerializeToUtf8Bytes(order, Json));
                }
                else
                {
                    rolledBack[completion.MessageId] = order;
                }
            });
        committed.Should().HaveCount(160);
        rolledBack.Should().HaveCount(40);

        // Wait until the engine has stored SENT for every committed record (it logs that after the store write).
        await host.Logs.Entries.WaitForAsync(
            entries => entries.Where(e => e.EventId == EndToEndLogs.SentEventId).Select(e => e.Get("MessageId")).OfType<Guid>().Distinct().Count() >= committed.Count,
            Deadline,
            $"{committed.Count} SENT outcomes",
            entries => $"{entries.Count(e => e.EventId == EndToEndLogs.SentEventId)} SENT outcomes; problems: {string.Join(" | ", entries.Where(e => e.Level >= LogLevel.Warning).Take(5))}",
            Ct);

        IReadOnlyList<Delivery> deliveries = host.Receiver.Deliveries;
        deliveries.Select(d => d.MessageId).Should().BeEquivalentTo(committed.Keys, "exactly the committed records arrive, each once");
        deliveries.Select(d => d.MessageId).Should().NotIntersectWith(rolledBack.Keys);
        foreach (Delivery delivery in deliveries)
        {
            (OrderCompleted order, byte[] body) = committed[delivery.MessageId];
            delivery.StatusCode.Should().Be(200);
            delivery.Body.Should().Equal(body, "the body is the payload exactly as serialised at enqueue ({0})", order.OrderId);
            delivery.Headers["ce-id"].Should().Be(delivery.IdempotencyKey);
            delivery.Headers["ce-type"].Should().Be(MessageType);
            delivery.Headers["ce-subject"].Should().Be(order.OrderId);
            delivery.Headers["Content-Type"].Should().StartWith("application/json");
        }

        IOutboxAdmin admin = host.Admin;
        foreach ((Guid id, (OrderCompleted order, byte[] body)) in committed)
        {
            OutboxMessage? stored = await admin.GetAsync(id, Ct);
            stored.Should().NotBeNull();
            stored!.Status.Should().Be(OutboxStatus.Sent);
            stored.RetryCount.Should().Be(0);
            stored.SentAt.Should().NotBeNull();
            stored.AggregateId.Should().Be(order.OrderId);
            stored.MessageType.Should().Be(MessageType);
            Encoding.UTF8.GetBytes(stored.Payload).Should().Equal(body);
        }

        foreach (Guid id in rolledBack.Keys)
        {
            (await admin.GetAsync(id, Ct)).Should().BeNull("the record of a rolled-back transaction was never stored");
        }

        OutboxStatistics statistics = await admin.GetStatisticsAsync(Ct);
        statistics.Should().BeEquivalentTo(new { Pending = 0L, Failed = 0L, Due = 0L, DeadLetter = 0L, Leased = 0L }, "every committed record was sent (checked one by one above)");

        // The business table and the outbox agree: completed orders are exactly the ones whose message was sent.
        (await ReadOrderIdsAsync(orders, "COMPLETED")).Should().BeEquivalentTo(committed.Values.Select(v => v.Order.OrderId));
        (await ReadOrderIdsAsync(orders, "PLACED")).Should().BeEquivalentTo(rolledBack.Values.Select(o => o.OrderId));
        host.Logs.Problems().Should().BeEmpty();
    }

    [Fact]
    public async Task Raw_JSON_and_bulk_enqueued_records_arrive_once_each_byte_for_byte_and_a_rolled_back_batch_never()
    {
        await using EndToEndHost host = await StartHostAsync(o => o.PollingInterval = ShortPoll);
        byte[] raw = Encoding.UTF8.GetBytes("{ \"zeta\" : 1,\n  \"alpha\": \"Käse 🧀 \\u00e9\", \"n\": 1.50 }");
        const string rawText = "[ {\"b\":null} , 2 ]";
        var expected = new Dictionary<Guid, byte[]>();
        await using (DbConnection connection = await Fixture.OpenConnectionAsync(Ct))
        await using (DbTransaction transaction = await connection.BeginTransactionAsync(Ct))
        {
            expected[await host.Writer.EnqueueJsonAsync(transaction, MessageType, raw, "raw-1", Ct)] = raw;
            expected[await host.Writer.EnqueueJsonAsync(transaction, MessageType, rawText, "raw-2", Ct)] = Encoding.UTF8.GetBytes(rawText);

            OutboxItem<OutboxJson>[] json = Enumerable.Range(0, 50)
                .Select(i => new OutboxItem<OutboxJson>(MessageType, OutboxJson.FromString($"{{ \"i\" :  {i} , \"k\":\"주문\" }}"), "bulk-" + i))
                .ToArray();
            IReadOnlyList<Guid> jsonIds = await host.Writer.EnqueueManyAsync(transaction, json, Ct);
            OutboxItem<OrderCompleted>[] orders = Enumerable.Range(0, 20).Select(i => new OutboxItem<OrderCompleted>(MessageType, NewOrder(i), "order-" + i)).ToArray();
            IReadOnlyList<Guid> orderIds = await host.Writer.EnqueueManyAsync(transaction, orders, Ct);
            for (int i = 0; i < json.Length; i++)
            {
                expected[jsonIds[i]] = Encoding.UTF8.GetBytes(json[i].Payload.Json);
            }

            for (int i = 0; i < orders.Length; i++)
            {
                expected[orderIds[i]] = JsonSerializer.SerializeToUtf8Bytes(orders[i].Payload, Json);
            }

            await transaction.CommitAsync(Ct);
        }

        IReadOnlyList<Guid> rolledBack;
        await using (DbConnection connection = await Fixture.OpenConnectionAsync(Ct))
        await using (DbTransaction transaction = await connection.BeginTransactionAsync(Ct))
        {
            rolledBack = await host.Writer.EnqueueManyAsync(
                transaction, Enumerable.Range(0, 10).Select(i => new OutboxItem<OutboxJson>(MessageType, OutboxJson.FromString("{}"))), Ct);
            await transaction.RollbackAsync(Ct);
        }

        expected.Should().HaveCount(72);
        await host.Logs.Entries.WaitForAsync(
            entries => entries.Where(e => e.EventId == EndToEndLogs.SentEventId).Select(e => e.Get("MessageId")).OfType<Guid>().Distinct().Count() >= expected.Count,
            Deadline,
            $"{expected.Count} SENT outcomes",
            entries => $"{entries.Count(e => e.EventId == EndToEndLogs.SentEventId)} SENT outcomes",
            Ct);

        IReadOnlyList<Delivery> deliveries = host.Receiver.Deliveries;
        deliveries.Select(d => d.MessageId).Should().BeEquivalentTo(expected.Keys, "exactly the committed records arrive, each once");
        deliveries.Select(d => d.MessageId).Should().NotIntersectWith(rolledBack);
        foreach (Delivery delivery in deliveries)
        {
            delivery.Body.Should().Equal(expected[delivery.MessageId], "the body is the payload exactly as enqueued");
        }

        foreach (Guid id in rolledBack)
        {
            (await host.Admin.GetAsync(id, Ct)).Should().BeNull("the rolled-back batch was never stored");
        }

        host.Logs.Problems().Should().BeEmpty();
    }

    [Fact]
    public async Task A_message_refused_with_503_twice_is_retried_after_its_backoff_and_ends_sent_with_retry_count_2()
    {
        string orders = await CreateOrdersTableAsync(1);
        await using EndToEndHost host = await StartHostAsync(o =>
        {
            o.PollingInterval = ShortPoll;
            o.Backoff.InitialDelay = TimeSpan.FromMilliseconds(100);
            o.Backoff.Multiplier = 2;
            o.Backoff.MaxDelay = TimeSpan.FromSeconds(1);
            o.Backoff.MaxRetries = 5;
        });
        host.Receiver.Respond = d => d.Attempt <= 2 ? 503 : 200;

        OrderCompleted order = NewOrder(0);
        Completion completion = await CompleteOrderAsync(host, orders, order, commit: true, Ct);
        await host.Logs.WaitForOutcomeAsync(EndToEndLogs.SentEventId, completion.MessageId, Deadline, Ct);

        IReadOnlyList<Delivery> attempts = host.Receiver.Deliveries;
        attempts.Should().OnlyContain(d => d.MessageId == completion.MessageId);
        attempts.Select(d => d.StatusCode).Should().Equal(503, 503, 200);
        byte[] body = JsonSerializer.SerializeToUtf8Bytes(order, Json);
        attempts.Should().AllSatisfy(d => d.Body.Should().Equal(body, "a retry sends the same payload"));

        // Lower bounds only (load can only make the gaps longer): retry n waits InitialDelay × 2^(n-1) after the failure.
        Stopwatch.GetElapsedTime(attempts[0].ArrivedAt, attempts[1].ArrivedAt).Should().BeGreaterThanOrEqualTo(TimeSpan.FromMilliseconds(90));
        Stopwatch.GetElapsedTime(attempts[1].ArrivedAt, attempts[2].ArrivedAt).Should().BeGreaterThanOrEqualTo(TimeSpan.FromMilliseconds(180));

        host.Logs.Entries.Snapshot()
            .Where(e => e.EventId == EndToEndLogs.FailedEventId && e.Get("MessageId") is Guid id && id == completion.MessageId)
            .Select(e => e.Get("RetryCount"))
            .Should().Equal(1, 2);

        OutboxMessage? stored = await host.Admin.GetAsync(completion.MessageId, Ct);
        stored.Should().NotBeNull();
        stored!.Status.Should().Be(OutboxStatus.Sent);
        stored.RetryCount.Should().Be(2);
        stored.SentAt.Should().NotBeNull();
        host.DeadLetters.Calls.Snapshot().Should().BeEmpty();
        host.Logs.Problems().Where(e => e.Level >= LogLevel.Error).Should().BeEmpty();
    }

    [Fact]
    public async Task A_permanent_400_dead_letters_after_one_attempt_calls_the_handler_once_and_a_requeue_delivers_it()
    {
        string orders = await CreateOrdersTableAsync(2);
        await using EndToEndHost host = await StartHostAsync(o =>
        {
            o.PollingInterval = ShortPoll;
            o.Backoff.InitialDelay = TimeSpan.FromMilliseconds(100);
            o.Backoff.MaxRetries = 5; // retries are left: the 400 alone must stop it
        });
        OrderCompleted bad = NewOrder(0);
        OrderCompleted canary = NewOrder(1);
        bool receiverFixed = false;
        host.Receiver.Respond = d => !Volatile.Read(ref receiverFixed) && d.Headers.GetValueOrDefault("ce-subject") == bad.OrderId ? 400 : 200;

        Completion rejected = await CompleteOrderAsync(host, orders, bad, commit: true, Ct);
        IReadOnlyList<OutboxMessage> calls = await host.DeadLetters.Calls.WaitForAsync(
            c => c.Count > 0, Deadline, "the dead-letter handler", c => $"{c.Count} calls", Ct);
        OutboxMessage handled = calls.Single();
        handled.Id.Should().Be(rejected.MessageId);
        handled.Status.Should().Be(OutboxStatus.DeadLetter);
        handled.RetryCount.Should().Be(1);
        handled.LastError.Should().Contain("400");

        // A record committed after the dead letter is delivered by a later cycle; had the dead letter been due again,
        // that cycle would have attempted it too. So by then it has provably had its one attempt only.
        Completion later = await CompleteOrderAsync(host, orders, canary, commit: true, Ct);
        await host.Logs.WaitForOutcomeAsync(EndToEndLogs.SentEventId, later.MessageId, Deadline, Ct);
        host.Receiver.Deliveries.Where(d => d.MessageId == rejected.MessageId).Should().ContainSingle()
            .Which.StatusCode.Should().Be(400);

        IOutboxAdmin admin = host.Admin;
        OutboxMessage? stored = await admin.GetAsync(rejected.MessageId, Ct);
        stored!.Status.Should().Be(OutboxStatus.DeadLetter);
        stored.RetryCount.Should().Be(1);
        stored.SentAt.Should().BeNull();
        stored.LastError.Should().Contain("400");
        (await admin.ListDeadLettersAsync(cancellationToken: Ct)).Select(m => m.Id).Should().Equal(rejected.MessageId);

        // The receiver is fixed; an operator requeues the dead letter.
        Volatile.Write(ref receiverFixed, true);
        (await admin.RequeueDeadLetterAsync(rejected.MessageId, Ct)).Should().BeTrue();
        await host.Logs.WaitForOutcomeAsync(EndToEndLogs.SentEventId, rejected.MessageId, Deadline, Ct);

        List<Delivery> attempts = host.Receiver.Deliveries.Where(d => d.MessageId == rejected.MessageId).ToList();
        attempts.Select(d => d.StatusCode).Should().Equal(400, 200);
        attempts[1].Body.Should().Equal(JsonSerializer.SerializeToUtf8Bytes(bad, Json));
        stored = await admin.GetAsync(rejected.MessageId, Ct);
        stored!.Status.Should().Be(OutboxStatus.Sent);
        stored.SentAt.Should().NotBeNull();
        (await admin.ListDeadLettersAsync(cancellationToken: Ct)).Should().BeEmpty();
        host.DeadLetters.Calls.Snapshot().Should().ContainSingle("the handler is called once per dead-lettering");
        host.Logs.Problems().Where(e => e.Level >= LogLevel.Error).Should().BeEmpty();
    }

    [Fact]
    public async Task A_receiver_answering_500_with_a_NUL_in_its_body_fails_the_record_and_the_whole_schedule_ends_in_dead_letter()
    {
        await using LoopbackServer receiver = await LoopbackServer.StartAsync();
        var clock = new FakeTimeProvider(new DateTimeOffset(2030, 1, 1, 0, 0, 0, TimeSpan.Zero));
        var services = new ServiceCollection();
        services.AddLogging();
        services.AddSingleton<TimeProvider>(clock);
        OrderOutboxBuilder outbox = services.AddOrderOutbox(o =>
        {
            o.RunDispatcher = false; // the test drives the cycles, on the fake clock
            o.JsonSerializerOptions = Json;
        });
        Fixture.UseStore(outbox, NewTableName("outbox"), s => s.EnsureSchemaOnStartup = false);
        outbox.UseHttpDispatcher(h => h.Endpoint = receiver.Url("orders?status=500&body=err%00x"));
        await using ServiceProvider provider = services.BuildServiceProvider(new ServiceProviderOptions { ValidateOnBuild = true, ValidateScopes = true });
        await provider.GetRequiredService<IOutboxStore>().EnsureSchemaAsync(Ct);
        IOutboxAdmin admin = provider.GetRequiredService<IOutboxAdmin>();
        IOutboxProcessor processor = provider.GetRequiredService<IOutboxProcessor>();

        Guid id;
        await using (DbConnection connection = await Fixture.OpenConnectionAsync(Ct))
        await using (DbTransaction transaction = await connection.BeginTransactionAsync(Ct))
        {
            id = await provider.GetRequiredService<IOutboxWriter>().EnqueueAsync(transaction, MessageType, NewOrder(0), "order-0000", Ct);
            await transaction.CommitAsync(Ct);
        }

        (await processor.ProcessOnceAsync(Ct)).Should().Be(1);

        OutboxMessage first = (await admin.GetAsync(id, Ct))!;
        first.Status.Should().Be(OutboxStatus.Failed, "the outcome with the receiver's NUL byte was stored");
        first.RetryCount.Should().Be(1);
        first.LastError.Should().Be("HTTP 500 Internal Server Error: err\\u0000x", "control characters are stored escaped as \\uXXXX");

        // The seed's schedule: retries 1, 2, 4, 8 and 16 minutes after each failure, then DEAD_LETTER.
        int retry = 1;
        foreach (TimeSpan delay in new[] { 1, 2, 4, 8, 16 }.Select(m => TimeSpan.FromMinutes(m)))
        {
            clock.Advance(delay - TimeSpan.FromSeconds(1));
            (await processor.ProcessOnceAsync(Ct)).Should().Be(0, "retry {0} is not due before {1}", retry, delay);
            clock.Advance(TimeSpan.FromSeconds(1));
            (await processor.ProcessOnceAsync(Ct)).Should().Be(1, "retry {0} is due {1} after the last failure", retry, delay);
            retry++;
        }

        OutboxMessage last = (await admin.GetAsync(id, Ct))!;
        last.Status.Should().Be(OutboxStatus.DeadLetter);
        last.RetryCount.Should().Be(6);
        last.LastError.Should().NotContain("\0");
        receiver.Requests.Should().HaveCount(6).And.OnlyContain(r => r.Headers["Idempotency-Key"] == id.ToString());
        clock.Advance(TimeSpan.FromDays(1));
        (await processor.ProcessOnceAsync(Ct)).Should().Be(0, "a dead letter is never attempted again");
    }

    [Fact]
    public async Task Three_instances_deliver_the_events_of_each_order_in_order_despite_random_failures()
    {
        const int orders = 1000, eventsPerOrder = 5;
        await using EndToEndReceiver receiver = await EndToEndReceiver.StartAsync();
        receiver.Respond = static _ => Random.Shared.Next(100) < 15 ? StatusCodes.Status503ServiceUnavailable : StatusCodes.Status200OK;
        string table = NewTableName("outbox");
        var hosts = new List<EndToEndHost>();
        try
        {
            for (int i = 0; i < 3; i++)
            {
                int instance = i;
                hosts.Add(await EndToEndHost.StartAsync(
                    Fixture,
                    table,
                    o =>
                    {
                        o.InstanceId = $"ordered-{instance}";
                        o.Ordering = OutboxOrdering.PerAggregate;
                        o.BatchSize = 20;
                        o.MaxConcurrency = 8;
                        o.PollingInterval = TimeSpan.FromMilliseconds(50);
                        o.Backoff = new BackoffOptions { InitialDelay = TimeSpan.FromMilliseconds(10), MaxDelay = TimeSpan.FromMilliseconds(100), MaxRetries = 100 };
                    },
                    null,
                    Ct,
                    receiver));
            }

            // Round by round, so an order's events are far apart in the table and interleaved with every other order's.
            for (int seq = 1; seq <= eventsPerOrder; seq++)
            {
                for (int chunk = 0; chunk < orders; chunk += 100)
                {
                    await using DbConnection connection = await Fixture.OpenConnectionAsync(Ct);
                    await using DbTransaction transaction = await connection.BeginTransactionAsync(Ct);
                    for (int order = chunk; order < chunk + 100; order++)
                    {
                        await hosts[order % 3].Writer.EnqueueAsync(transaction, "order.event", new OrderEvent("o-" + order, seq), "o-" + order, Ct);
                    }

                    await transaction.CommitAsync(Ct);
                }
            }

            IReadOnlyList<Delivery> deliveries = await receiver.WaitForAsync(
                d => d.Where(x => x.StatusCode == StatusCodes.Status200OK).Select(x => x.MessageId).Distinct().Count() == orders * eventsPerOrder,
                TimeSpan.FromMinutes(4),
                "every event delivered",
                Ct);

            var violations = new List<string>();
            foreach (IGrouping<string, (OrderEvent Event, Delivery Delivery)> order in deliveries
                         .Select(d => (Event: JsonSerializer.Deserialize<OrderEvent>(d.Body, Json)!, Delivery: d))
                         .GroupBy(x => x.Event.OrderId))
            {
                int delivered = 0; // the highest event of this order answered 200 so far, in arrival order
                foreach ((OrderEvent e, Delivery d) in order)
                {
                    if (e.Seq > delivered + 1)
                    {
                        violations.Add($"{e.OrderId}: event {e.Seq} arrived before event {delivered + 1} was delivered");
                    }

                    if (d.StatusCode == StatusCodes.Status200OK && e.Seq == delivered + 1)
                    {
                        delivered = e.Seq;
                    }
                }
            }

            int failures = deliveries.Count(d => d.StatusCode != StatusCodes.Status200OK);
            TestContext.Current.TestOutputHelper?.WriteLine($"{deliveries.Count} requests, {failures} answered 503, {violations.Count} order violations");
            violations.Should().BeEmpty();
            failures.Should().BeGreaterThan(0, "the receiver failed some requests at random");
            // The last outcomes are written just after the receiver answered: wait for them (bounded), then check.
            OutboxStatistics stats = await hosts[0].Admin.GetStatisticsAsync(Ct);
            for (int i = 0; i < 200 && stats.Pending + stats.Failed > 0; i++)
            {
                await Task.Delay(50, Ct);
                stats = await hosts[0].Admin.GetStatisticsAsync(Ct);
            }

            (stats.Pending + stats.Failed + stats.DeadLetter).Should().Be(0, "every record is SENT");
        }
        finally
        {
            foreach (EndToEndHost host in hosts)
            {
                await host.DisposeAsync();
            }
        }
    }

    /// <summary>One event of an order, numbered from 1 in the order it was enqueued.</summary>
    /// <param name="OrderId">The order (the aggregate ID).</param>
    /// <param name="Seq">The event's number within the order.</param>
    public sealed record OrderEvent(string OrderId, int Seq);

    /// <summary>Starts a host over a new outbox table of this fixture.</summary>
    private protected Task<EndToEndHost> StartHostAsync(Action<OutboxOptions> configure, Action<OutboxStoreOptions>? configureStore = null)
        => EndToEndHost.StartAsync(
            Fixture,
            NewTableName("outbox"),
            o =>
            {
                o.JsonSerializerOptions = Json;
                configure(o);
            },
            configureStore,
            Ct);

    /// <summary>Creates an <c>orders</c> table with <paramref name="count"/> orders in state <c>PLACED</c>; returns its qualified name.</summary>
    private protected async Task<string> CreateOrdersTableAsync(int count)
    {
        string table = Fixture.QualifyTable(NewTableName("orders"));
        await using DbConnection connection = await Fixture.OpenConnectionAsync(Ct);
        await using (DbCommand create = connection.CreateCommand())
        {
            create.CommandText =
                $"CREATE TABLE {table} (order_id varchar(64) NOT NULL PRIMARY KEY, user_id varchar(64) NOT NULL, " +
                "amount decimal(18, 2) NOT NULL, status varchar(20) NOT NULL)";
            await create.ExecuteNonQueryAsync(Ct);
        }

        await using DbTransaction transaction = await connection.BeginTransactionAsync(Ct);
        for (int i = 0; i < count; i++)
        {
            OrderCompleted order = NewOrder(i);
            await using DbCommand insert = connection.CreateCommand();
            insert.Transaction = transaction;
            insert.CommandText = $"INSERT INTO {table} (order_id, user_id, amount, status) VALUES (@order_id, @user_id, @amount, 'PLACED')";
            AddParameter(insert, "@order_id", order.OrderId);
            AddParameter(insert, "@user_id", order.UserId);
            AddParameter(insert, "@amount", order.Amount);
            await insert.ExecuteNonQueryAsync(Ct);
        }

        await transaction.CommitAsync(Ct);
        return table;
    }

    /// <summary>
    /// The application's "complete order" use case: in one transaction of the store's provider, the order row goes
    /// from <c>PLACED</c> to <c>COMPLETED</c> and the <c>order.completed</c> record is enqueued; then commit or roll back.
    /// </summary>
    private protected async Task<Completion> CompleteOrderAsync(EndToEndHost host, string orders, OrderCompleted order, bool commit, CancellationToken cancellationToken)
    {
        await using DbConnection connection = await Fixture.OpenConnectionAsync(cancellationToken);
        await using DbTransaction transaction = await connection.BeginTransactionAsync(cancellationToken);
        await using (DbCommand update = connection.CreateCommand())
        {
            update.Transaction = transaction;
            update.CommandText = $"UPDATE {orders} SET status = 'COMPLETED' WHERE order_id = @order_id AND status = 'PLACED'";
            AddParameter(update, "@order_id", order.OrderId);
            (await update.ExecuteNonQueryAsync(cancellationToken)).Should().Be(1);
        }

        Guid id = await host.Writer.EnqueueAsync(transaction, MessageType, order, order.OrderId, cancellationToken);
        long committing = Stopwatch.GetTimestamp();
        if (commit)
        {
            await transaction.CommitAsync(cancellationToken);
        }
        else
        {
            await transaction.RollbackAsync(cancellationToken);
        }

        return new Completion(id, committing);
    }

    private protected static OrderCompleted NewOrder(int i) => new(
        $"order-{i:D4}",
        $"user-{i % 17:D2}",
        100m + i + 0.5m,
        [
            new OrderLine("SKU-" + i, $"주문 상품 {i} — \"quoted\" & <tagged>", 1 + (i % 3), 12.50m),
            new OrderLine("SKU-GIFT", "Gift wrap ☃", 1, 0.00m),
        ]);

    private protected static string NewTableName(string prefix) => $"{prefix}_{Guid.NewGuid():N}"[..(prefix.Length + 13)];

    private async Task<List<string>> ReadOrderIdsAsync(string orders, string status)
    {
        await using DbConnection connection = await Fixture.OpenConnectionAsync(Ct);
        await using DbCommand select = connection.CreateCommand();
        select.CommandText = $"SELECT order_id FROM {orders} WHERE status = @status";
        AddParameter(select, "@status", status);
        var ids = new List<string>();
        await using DbDataReader reader = await select.ExecuteReaderAsync(Ct);
        while (await reader.ReadAsync(Ct))
        {
            ids.Add(reader.GetString(0));
        }

        return ids;
    }

    private static void AddParameter(DbCommand command, string name, object value)
    {
        DbParameter parameter = command.CreateParameter();
        parameter.ParameterName = name;
        parameter.Value = value;
        command.Parameters.Add(parameter);
    }
}

/// <summary>The payload of <c>order.completed</c> (UC-DATA-01: order ID, user ID, amount, product list).</summary>
public sealed record OrderCompleted(string OrderId, string UserId, decimal Amount, IReadOnlyList<OrderLine> Products);

/// <summary>One product of an order.</summary>
public sealed record OrderLine(string Sku, string Name, int Quantity, decimal UnitPrice);

/// <summary>The result of a "complete order" transaction.</summary>
/// <param name="MessageId">The message ID the writer returned.</param>
/// <param name="CommittingAt">The <see cref="Stopwatch"/> timestamp just before commit (or rollback) was called.</param>
internal sealed record Completion(Guid MessageId, long CommittingAt);
