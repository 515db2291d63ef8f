using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text;
using System.Text.Json;
using FluentAssertions;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Time.Testing;
using OrderOutbox.EntityFrameworkCore.Tests.Support;
using Xunit;

namespace OrderOutbox.EntityFrameworkCore.Tests;

/// <summary>
/// What every database must show: records written by <c>SaveChanges</c> commit and roll back with the order, a failed
/// save writes none, and the Dapper store of the same database reads, claims and completes them exactly — also while
/// EF Core writers run at the same time. One sealed subclass per database.
/// </summary>
public abstract class EfOutboxSuite<TFixture>(TFixture fixture) : IClassFixture<TFixture>
    where TFixture : class, IEfStoreFixture
{
    protected static readonly JsonSerializerOptions Web = new(JsonSerializerDefaults.Web);

    protected static readonly DateTimeOffset Now = new(2026, 3, 1, 9, 30, 15, 123, TimeSpan.Zero);

    protected TFixture Fixture { get; } = fixture;

    protected FakeTimeProvider Time { get; } = new(Now);

    protected static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task The_dispatcher_of_this_process_is_woken_when_your_transaction_commits_and_not_before()
    {
        await using EfTestScope scope = await EfTestScope.StartAsync(Fixture, Time, cancellationToken: Ct);
        scope.WakeUp.Reset();
        Task woken = scope.WakeUp.WaitAsync();
        await using OrdersDb db = scope.NewContext();
        await using (var transaction = await db.Database.BeginTransactionAsync(Ct))
        {
            db.Orders.Add(new Order { Id = "o-1", Status = "COMPLETED", Quantity = 1 });
            db.Outbox().Enqueue("order.completed", new OrderCompleted("o-1", "u", 1), "o-1");
            await db.SaveChangesAsync(Ct);
            woken.IsCompleted.Should().BeFalse("the records are not committed yet");
            await transaction.CommitAsync(Ct);
        }

        woken.IsCompleted.Should().BeTrue("the commit woke the dispatcher of this process");
    }

    [Theory]
    [InlineData(true)]   // order + record: SaveChanges opens a transaction of its own
    [InlineData(false)]  // the record alone
    public async Task A_SaveChanges_that_commits_on_its_own_wakes_the_dispatcher_of_this_process(bool withOrder)
    {
        await using EfTestScope scope = await EfTestScope.StartAsync(Fixture, Time, cancellationToken: Ct);
        scope.WakeUp.Reset();
        Task woken = scope.WakeUp.WaitAsync();
        await using OrdersDb db = scope.NewContext();
        if (withOrder)
        {
            db.Orders.Add(new Order { Id = "o-1", Status = "COMPLETED", Quantity = 1 });
        }

        db.Outbox().Enqueue("order.completed", new OrderCompleted("o-1", "u", 1), "o-1");
        await db.SaveChangesAsync(Ct);

        woken.IsCompleted.Should().BeTrue();
    }

    [Fact]
    public async Task A_rolled_back_transaction_does_not_wake_the_dispatcher_of_this_process()
    {
        await using EfTestScope scope = await EfTestScope.StartAsync(Fixture, Time, cancellationToken: Ct);
        scope.WakeUp.Reset();
        Task woken = scope.WakeUp.WaitAsync();
        await using (OrdersDb db = scope.NewContext())
        {
            await using var transaction = await db.Database.BeginTransactionAsync(Ct);
            db.Outbox().Enqueue("order.completed", new OrderCompleted("o-1", "u", 1), "o-1");
            await db.SaveChangesAsync(Ct);
            await transaction.RollbackAsync(Ct);
        }

        woken.IsCompleted.Should().BeFalse();
    }

    [Fact]
    public async Task A_save_without_outbox_records_does_not_wake_the_dispatcher()
    {
        await using EfTestScope scope = await EfTestScope.StartAsync(Fixture, Time, cancellationToken: Ct);
        scope.WakeUp.Reset();
        Task woken = scope.WakeUp.WaitAsync();
        await using OrdersDb db = scope.NewContext();
        db.Orders.Add(new Order { Id = "o-1", Status = "PLACED", Quantity = 1 });
        await db.SaveChangesAsync(Ct);

        woken.IsCompleted.Should().BeFalse();
    }

    [Fact]
    public async Task SaveChanges_writes_the_order_and_its_record_and_the_store_reads_the_record_exactly()
    {
        await using EfTestScope scope = await EfTestScope.StartAsync(Fixture, Time, cancellationToken: Ct);
        using Activity activity = new Activity("complete-order").SetIdFormat(ActivityIdFormat.W3C).Start();
        var payload = new OrderCompleted("o-1", "u-7 Käse 🧀 \"quoted\"", 2);

        Guid id;
        await using (OrdersDb db = scope.NewContext())
        {
            db.Orders.Add(new Order { Id = "o-1", Status = "COMPLETED", Quantity = 2 });
            id = db.Outbox().Enqueue("order.completed", payload, aggregateId: "o-1");
            await db.SaveChangesAsync(Ct);
        }

        OutboxMessage? record = await scope.Admin.GetAsync(id, Ct);
        record.Should().NotBeNull();
        record!.Should().BeEquivalentTo(new
        {
            Id = id,
            MessageType = "order.completed",
            AggregateId = "o-1",
            Status = OutboxStatus.Pending,
            RetryCount = 0,
            CreatedAt = Now,
            NextAttemptAt = Now,
            LastAttemptAt = (DateTimeOffset?)null,
            SentAt = (DateTimeOffset?)null,
            LastError = (string?)null,
            LeaseOwner = (string?)null,
        });
        Encoding.UTF8.GetBytes(record.Payload).Should().Equal(JsonSerializer.SerializeToUtf8Bytes(payload, Web));
        record.Headers.Should().Contain(activity.Id);
        MessageId.GetTimestamp(id).Should().Be(Now);
        await using OrdersDb check = scope.NewContext();
        (await check.Orders.SingleAsync(Ct)).Status.Should().Be("COMPLETED");
    }

    [Fact]
    public async Task EnqueueMany_and_EnqueueJson_write_every_record_exactly_with_the_order_in_input_order()
    {
        await using EfTestScope scope = await EfTestScope.StartAsync(Fixture, Time, cancellationToken: Ct);
        byte[] raw = Encoding.UTF8.GetBytes("{ \"zeta\" : 1 ,\n \"note\": \"Käse 🧀\" }");
        OutboxItem<OrderCompleted>[] items = Enumerable.Range(0, 300).Select(i => new OutboxItem<OrderCompleted>("order.completed", new OrderCompleted("o-" + i, "u", i), "o-" + i)).ToArray();

        Guid rawId;
        Guid textId;
        IReadOnlyList<Guid> ids;
        await using (OrdersDb db = scope.NewContext())
        {
            db.Orders.Add(new Order { Id = "o-1", Status = "COMPLETED", Quantity = 2 });
            rawId = db.Outbox().EnqueueJson("order.raw", raw, "o-1");
            textId = db.Outbox().EnqueueJson("order.raw", "[1 , 2]");
            ids = db.Outbox().EnqueueMany(items);
            await db.SaveChangesAsync(Ct);
        }

        ids.Should().HaveCount(300);
        Encoding.UTF8.GetBytes((await scope.Admin.GetAsync(rawId, Ct))!.Payload).Should().Equal(raw);
        (await scope.Admin.GetAsync(textId, Ct))!.Payload.Should().Be("[1 , 2]");
        for (int i = 0; i < ids.Count; i += 37)
        {
            OutboxMessage record = (await scope.Admin.GetAsync(ids[i], Ct))!;
            record.AggregateId.Should().Be("o-" + i);
            Encoding.UTF8.GetBytes(record.Payload).Should().Equal(JsonSerializer.SerializeToUtf8Bytes(items[i].Payload, Web));
        }

        ids.Should().BeInAscendingOrder(Comparer<Guid>.Create((a, b) => string.CompareOrdinal(a.ToString(), b.ToString())));
        (await scope.Admin.GetStatisticsAsync(Ct)).Pending.Should().Be(302);
    }

    [Fact]
    public async Task EnqueueMany_with_a_bad_item_adds_nothing_and_EnqueueJson_refuses_invalid_JSON()
    {
        await using EfTestScope scope = await EfTestScope.StartAsync(Fixture, Time, cancellationToken: Ct);
        await using OrdersDb db = scope.NewContext();
        OutboxItem<OrderCompleted>[] items = [new("order.completed", new OrderCompleted("o-1", "u", 1)), new("", new OrderCompleted("o-2", "u", 1))];

        Action many = () => db.Outbox().EnqueueMany(items);
        Action json = () => db.Outbox().EnqueueJson("order.raw", "{\"a\":");

        many.Should().Throw<ArgumentException>().Which.Message.Should().Contain("Item 1 of the batch");
        json.Should().Throw<ArgumentException>().Which.ParamName.Should().Be("json");
        db.ChangeTracker.Entries().Should().BeEmpty("nothing of the refused calls was added");
        await db.SaveChangesAsync(Ct);
        (await scope.Admin.GetStatisticsAsync(Ct)).Pending.Should().Be(0);
    }

    [Fact]
    public async Task A_rolled_back_transaction_writes_neither_the_order_nor_the_record()
    {
        await using EfTestScope scope = await EfTestScope.StartAsync(Fixture, Time, cancellationToken: Ct);
        await using OrdersDb db = scope.NewContext();
        await using (var transaction = await db.Database.BeginTransactionAsync(Ct))
        {
            db.Orders.Add(new Order { Id = "o-1", Status = "COMPLETED" });
            Guid id = db.Outbox().Enqueue("order.completed", new OrderCompleted("o-1", "u", 1), "o-1");
            await db.SaveChangesAsync(Ct);
            await transaction.RollbackAsync(Ct);
            (await scope.Admin.GetAsync(id, Ct)).Should().BeNull();
        }

        (await scope.Admin.GetStatisticsAsync(Ct)).Pending.Should().Be(0);
        await using OrdersDb check = scope.NewContext();
        (await check.Orders.CountAsync(Ct)).Should().Be(0);
    }

    [Fact]
    public async Task An_explicit_transaction_writes_both_only_when_it_commits()
    {
        await using EfTestScope scope = await EfTestScope.StartAsync(Fixture, Time, cancellationToken: Ct);
        await using OrdersDb db = scope.NewContext();
        await using var transaction = await db.Database.BeginTransactionAsync(Ct);
        db.Orders.Add(new Order { Id = "o-1", Status = "COMPLETED" });
        Guid id = db.Outbox().Enqueue(new OrderCompleted("o-1", "u", 1));
        await db.SaveChangesAsync(Ct);

        (await scope.Admin.GetAsync(id, Ct)).Should().BeNull("the store's own connection must not see an uncommitted record");
        await transaction.CommitAsync(Ct);

        OutboxMessage? record = await scope.Admin.GetAsync(id, Ct);
        record.Should().NotBeNull();
        record!.MessageType.Should().Be(nameof(OrderCompleted), "without an attribute the message type is the payload type's name");
        record.AggregateId.Should().BeNull();
    }

    [Fact]
    public async Task A_save_that_fails_on_a_constraint_writes_no_record()
    {
        await using EfTestScope scope = await EfTestScope.StartAsync(Fixture, Time, cancellationToken: Ct);
        await using (OrdersDb first = scope.NewContext())
        {
            first.Orders.Add(new Order { Id = "o-1" });
            await first.SaveChangesAsync(Ct);
        }

        await using OrdersDb db = scope.NewContext();
        db.Orders.Add(new Order { Id = "o-1", Status = "COMPLETED" }); // the primary key is taken
        Guid id = db.Outbox().Enqueue("order.completed", new OrderCompleted("o-1", "u", 1), "o-1");
        Func<Task> save = () => db.SaveChangesAsync(Ct);

        await save.Should().ThrowAsync<DbUpdateException>();
        (await scope.Admin.GetAsync(id, Ct)).Should().BeNull();
        (await scope.Admin.GetStatisticsAsync(Ct)).Pending.Should().Be(0);
    }

    [Fact]
    public async Task Records_written_through_EF_Core_are_claimed_oldest_first_and_completed_by_the_store()
    {
        await using EfTestScope scope = await EfTestScope.StartAsync(Fixture, Time, cancellationToken: Ct);
        var ids = new List<Guid>();
        await using (OrdersDb db = scope.NewContext())
        {
            for (int i = 0; i < 3; i++)
            {
                ids.Add(db.Outbox().Enqueue("order.completed", new OrderCompleted($"o-{i}", "u", i), $"o-{i}"));
                Time.Advance(TimeSpan.FromSeconds(1));
            }

            await db.SaveChangesAsync(Ct);
        }

        DateTimeOffset now = Time.GetUtcNow();
        IReadOnlyList<OutboxMessage> claimed = await scope.Store.ClaimAsync(10, "claim-1", now, now.AddMinutes(5), Ct);

        claimed.Select(m => m.Id).Should().Equal(ids);
        claimed.Select(m => m.AggregateId).Should().Equal("o-0", "o-1", "o-2");
        IReadOnlyCollection<Guid> rejected = await scope.Store.CompleteAsync(
            claimed.Select(m => new OutboxOutcome(m.Id, m.LeaseOwner!, OutboxStatus.Sent, 0, now, now, null, null)).ToList(), Ct);
        rejected.Should().BeEmpty("the claim still holds every record");
        foreach (Guid id in ids)
        {
            (await scope.Admin.GetAsync(id, Ct))!.Status.Should().Be(OutboxStatus.Sent);
        }
    }

    [Fact]
    public async Task EF_Core_writers_and_a_claiming_dispatcher_run_at_once_and_every_record_is_claimed_exactly_once()
    {
        await using EfTestScope scope = await EfTestScope.StartAsync(Fixture, TimeProvider.System, cancellationToken: Ct);
        const int Writers = 4;
        const int OrdersPerWriter = 10;
        var written = new ConcurrentBag<Guid>();
        var claimed = new ConcurrentBag<Guid>();
        using var writersDone = new CancellationTokenSource();

        async Task WriteAsync(int writer)
        {
            for (int i = 0; i < OrdersPerWriter; i++)
            {
                await using OrdersDb db = scope.NewContext();
                string orderId = $"o-{writer}-{i}";
                db.Orders.Add(new Order { Id = orderId, Status = "COMPLETED" });
                Guid id = db.Outbox().Enqueue("order.completed", new OrderCompleted(orderId, "u", i), orderId);
                await db.SaveChangesAsync(Ct);
                written.Add(id);
            }
        }

        async Task ClaimAsync()
        {
            int round = 0;
            while (true)
            {
                bool writing = !writersDone.IsCancellationRequested;
                string owner = $"claim-{round++}";
                DateTimeOffset now = TimeProvider.System.GetUtcNow().AddSeconds(1);
                IReadOnlyList<OutboxMessage> batch = await scope.Store.ClaimAsync(5, owner, now, now.AddMinutes(5), Ct);
                foreach (OutboxMessage message in batch)
                {
                    claimed.Add(message.Id);
                }

                await scope.Store.CompleteAsync(batch.Select(m => new OutboxOutcome(m.Id, m.LeaseOwner!, OutboxStatus.Sent, 0, now, now, null, null)).ToList(), Ct);
                if (batch.Count == 0 && !writing)
                {
                    return; // nothing left, and no writer was running when this claim began
                }

                await Task.Yield();
            }
        }

        Task claimer = ClaimAsync();
        await Task.WhenAll(Enumerable.Range(0, Writers).Select(WriteAsync));
        await writersDone.CancelAsync();
        await claimer;

        written.Should().HaveCount(Writers * OrdersPerWriter);
        claimed.Should().OnlyHaveUniqueItems().And.BeEquivalentTo(written);
    }
}
