using System.Threading.Channels;
using FluentAssertions;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Time.Testing;
using Npgsql;
using OrderOutbox.EntityFrameworkCore.Tests.Support;
using Xunit;

namespace OrderOutbox.EntityFrameworkCore.Tests;

/// <summary>
/// The PostgreSQL wake-up of <c>SaveChanges</c>: it must reach a <c>LISTEN</c>ing connection when the records commit,
/// and never before or for a rolled-back save. Absence is proven without waiting: after the step under test a sentinel
/// notification is committed on another channel; PostgreSQL delivers notifications in commit order, so if the sentinel
/// is the next one to arrive, nothing was sent before it. Each test listens on channels of its own: <c>LISTEN</c> is
/// database-wide and other test classes notify at the same time.
/// </summary>
public sealed class PostgreSqlWakeUpTests(PostgreSqlEfFixture fixture) : IClassFixture<PostgreSqlEfFixture>
{
    private readonly string _channel = "oo_wake_" + Guid.NewGuid().ToString("N")[..12];
    private readonly string _sentinel = "oo_sentinel_" + Guid.NewGuid().ToString("N")[..12];
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 3, 1, 9, 0, 0, TimeSpan.Zero));

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task In_an_explicit_transaction_the_wake_up_arrives_with_the_commit_and_not_before()
    {
        await using EfTestScope scope = await EfTestScope.StartAsync(fixture, _time, cancellationToken: Ct);
        await using Listener listener = await Listener.StartAsync(fixture.DataSource, _sentinel, _channel);
        await using OrdersDb db = scope.NewContext(o => o.NotificationChannel = _channel);
        await using var transaction = await db.Database.BeginTransactionAsync(Ct);
        CompleteOrder(db, "o-1");
        await db.SaveChangesAsync(Ct);

        await SendSentinelAsync();
        (await listener.NextAsync(Ct)).Should().Be(_sentinel, "the wake-up must wait for the commit");

        await transaction.CommitAsync(Ct);
        (await listener.NextAsync(Ct)).Should().Be(_channel);
    }

    [Fact]
    public async Task A_rolled_back_transaction_sends_no_wake_up()
    {
        await using EfTestScope scope = await EfTestScope.StartAsync(fixture, _time, cancellationToken: Ct);
        await using Listener listener = await Listener.StartAsync(fixture.DataSource, _sentinel, _channel);
        await using (OrdersDb db = scope.NewContext(o => o.NotificationChannel = _channel))
        {
            await using var transaction = await db.Database.BeginTransactionAsync(Ct);
            CompleteOrder(db, "o-1");
            await db.SaveChangesAsync(Ct);
            await transaction.RollbackAsync(Ct);
        }

        await SendSentinelAsync();
        (await listener.NextAsync(Ct)).Should().Be(_sentinel);
    }

    [Theory]
    [InlineData(true, true)]   // order + record: EF Core opens a transaction of its own
    [InlineData(false, true)]  // the record alone: one statement, no transaction
    [InlineData(true, false)]  // synchronous SaveChanges
    public async Task A_save_without_a_transaction_of_yours_sends_the_wake_up_once_committed(bool withOrder, bool async)
    {
        await using EfTestScope scope = await EfTestScope.StartAsync(fixture, _time, cancellationToken: Ct);
        await using Listener listener = await Listener.StartAsync(fixture.DataSource, _sentinel, _channel);
        await using OrdersDb db = scope.NewContext(o => o.NotificationChannel = _channel);
        Guid id = withOrder ? CompleteOrder(db, "o-1") : db.Outbox().Enqueue("order.completed", new OrderCompleted("o-1", "u", 1), "o-1");

        if (async)
        {
            await db.SaveChangesAsync(Ct);
        }
        else
        {
            db.SaveChanges();
        }

        (await listener.NextAsync(Ct)).Should().Be(_channel);
        (await scope.Admin.GetAsync(id, Ct)).Should().NotBeNull("the wake-up comes with the committed record");
    }

    [Fact]
    public async Task A_save_that_fails_on_a_constraint_sends_no_wake_up()
    {
        await using EfTestScope scope = await EfTestScope.StartAsync(fixture, _time, cancellationToken: Ct);
        await using (OrdersDb first = scope.NewContext(o => o.NotificationChannel = _channel))
        {
            first.Orders.Add(new Order { Id = "o-1" });
            await first.SaveChangesAsync(Ct);
        }

        await using Listener listener = await Listener.StartAsync(fixture.DataSource, _sentinel, _channel);
        await using OrdersDb db = scope.NewContext(o => o.NotificationChannel = _channel);
        CompleteOrder(db, "o-1");
        Func<Task> save = () => db.SaveChangesAsync(Ct);
        await save.Should().ThrowAsync<DbUpdateException>();

        await SendSentinelAsync();
        (await listener.NextAsync(Ct)).Should().Be(_sentinel);
    }

    [Fact]
    public async Task The_channel_is_configurable_and_notifications_can_be_turned_off()
    {
        await using EfTestScope scope = await EfTestScope.StartAsync(fixture, _time, cancellationToken: Ct);
        await using Listener listener = await Listener.StartAsync(fixture.DataSource, _sentinel, _channel, _channel + "_custom");

        await using (OrdersDb off = scope.NewContext(o =>
        {
            o.NotificationChannel = _channel;
            o.UseNotifications = false;
        }))
        {
            CompleteOrder(off, "o-1");
            await off.SaveChangesAsync(Ct);
        }

        await using (OrdersDb custom = scope.NewContext(o => o.NotificationChannel = _channel + "_custom"))
        {
            CompleteOrder(custom, "o-2");
            await custom.SaveChangesAsync(Ct);
        }

        (await listener.NextAsync(Ct)).Should().Be(_channel + "_custom", "the save with notifications off sent nothing");
    }

    [Fact]
    public async Task Within_the_cooldown_a_second_save_sends_no_wake_up()
    {
        await using EfTestScope scope = await EfTestScope.StartAsync(fixture, _time, cancellationToken: Ct);
        await using Listener listener = await Listener.StartAsync(fixture.DataSource, _sentinel, _channel);
        for (int i = 1; i <= 2; i++)
        {
            await using OrdersDb db = scope.NewContext(o =>
            {
                o.NotificationChannel = _channel;
                o.NotificationCooldown = TimeSpan.FromSeconds(1);
            });
            CompleteOrder(db, "o-" + i);
            await db.SaveChangesAsync(Ct);
        }

        await SendSentinelAsync();
        (await listener.NextAsync(Ct)).Should().Be(_channel, "the first save notifies");
        (await listener.NextAsync(Ct)).Should().Be(_sentinel, "the second was within the one-second cooldown");
    }

    private static Guid CompleteOrder(OrdersDb db, string orderId)
    {
        db.Orders.Add(new Order { Id = orderId, Status = "COMPLETED" });
        return db.Outbox().Enqueue("order.completed", new OrderCompleted(orderId, "u", 1), orderId);
    }

    private async Task SendSentinelAsync()
    {
        await using NpgsqlCommand command = fixture.DataSource.CreateCommand($"SELECT pg_notify('{_sentinel}', '')");
        await command.ExecuteNonQueryAsync(Ct);
    }

    /// <summary>A connection that <c>LISTEN</c>s on the given channels and the sentinel, and queues what arrives.</summary>
    private sealed class Listener : IAsyncDisposable
    {
        private readonly NpgsqlConnection _connection;
        private readonly Channel<string> _received = System.Threading.Channels.Channel.CreateUnbounded<string>();
        private readonly CancellationTokenSource _stop = new();
        private Task _loop = Task.CompletedTask;

        private Listener(NpgsqlConnection connection) => _connection = connection;

        public static async Task<Listener> StartAsync(NpgsqlDataSource dataSource, params string[] channels)
        {
            var listener = new Listener(await dataSource.OpenConnectionAsync());
            listener._connection.Notification += (_, e) => listener._received.Writer.TryWrite(e.Channel);
            foreach (string channel in channels)
            {
                await using var command = new NpgsqlCommand($"LISTEN \"{channel}\"", listener._connection);
                await command.ExecuteNonQueryAsync();
            }

            listener._loop = listener.ReceiveAsync();
            return listener;
        }

        public async Task<string> NextAsync(CancellationToken cancellationToken)
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(Timeout);
            return await _received.Reader.ReadAsync(timeout.Token);
        }

        public async ValueTask DisposeAsync()
        {
            await _stop.CancelAsync();
            try
            {
                await _loop;
            }
            catch (OperationCanceledException)
            {
            }

            await _connection.DisposeAsync();
            _stop.Dispose();
        }

        private async Task ReceiveAsync()
        {
            while (!_stop.IsCancellationRequested)
            {
                await _connection.WaitAsync(_stop.Token);
            }
        }
    }
}
