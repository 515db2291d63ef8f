using FluentAssertions;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using Npgsql;
using OrderOutbox.Hosting;
using OrderOutbox.PostgreSql;
using Xunit;

namespace OrderOutbox.Tests.PostgreSql;

/// <summary>LISTEN/NOTIFY wake-up: a committed enqueue wakes the dispatcher, a rolled-back one sends nothing, and the listener survives losing its connection.</summary>
public sealed class PostgreSqlWakeUpListenerTests(PostgreSqlOutboxStoreFixture fixture) : IClassFixture<PostgreSqlOutboxStoreFixture>
{
    private static readonly TimeSpan EventTimeout = TimeSpan.FromSeconds(15);
    private static readonly DateTimeOffset T0 = new(2030, 1, 1, 0, 0, 0, TimeSpan.Zero);

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_committed_enqueue_wakes_the_dispatcher()
    {
        string channel = NewChannel();
        PostgreSqlOutboxStore store = await CreateStoreAsync(channel);
        var wakeUp = new OutboxWakeUp();
        using PostgreSqlWakeUpListener listener = CreateListener(channel, wakeUp, TimeProvider.System);
        await listener.StartAsync(Ct);
        await listener.Listening.WaitAsync(EventTimeout, Ct);
        wakeUp.Reset();
        Task woken = wakeUp.WaitAsync();

        await EnqueueAsync(store, commit: true);

        await woken.WaitAsync(EventTimeout, Ct);
        listener.NotificationCount.Should().Be(1);
        await listener.StopAsync(Ct);
    }

    [Fact]
    public async Task The_first_connect_wakes_the_dispatcher_for_records_committed_before_it_listened()
    {
        string channel = NewChannel();
        var wakeUp = new OutboxWakeUp();
        using PostgreSqlWakeUpListener listener = CreateListener(channel, wakeUp, TimeProvider.System);
        wakeUp.WaitAsync().IsCompleted.Should().BeFalse("nothing has woken the dispatcher yet");
        Task woken = wakeUp.WaitAsync();

        await listener.StartAsync(Ct);
        await listener.Listening.WaitAsync(EventTimeout, Ct);

        await woken.WaitAsync(EventTimeout, Ct);
        listener.NotificationCount.Should().Be(0, "the wake-up came from the connect, not from a notification");
        await listener.StopAsync(Ct);
    }

    [Fact]
    public async Task A_rolled_back_enqueue_sends_no_notification()
    {
        string channel = NewChannel();
        PostgreSqlOutboxStore store = await CreateStoreAsync(channel);
        await using NpgsqlConnection listening = await fixture.DataSource.OpenConnectionAsync(Ct);
        var received = new List<string>();
        listening.Notification += (_, e) => received.Add(e.Payload);
        await using (var listen = new NpgsqlCommand($"LISTEN \"{channel}\"", listening))
        {
            await listen.ExecuteNonQueryAsync(Ct);
        }

        await EnqueueAsync(store, commit: false);
        await using (var marker = fixture.DataSource.CreateCommand($"SELECT pg_notify('{channel}', 'marker')"))
        {
            await marker.ExecuteNonQueryAsync(Ct);
        }

        // Notifications arrive in commit order: if the rolled-back enqueue had sent one, it would come before the marker.
        while (received.Count == 0)
        {
            await listening.WaitAsync(Ct).WaitAsync(EventTimeout, Ct);
        }

        received.Should().Equal("marker");
    }

    [Fact]
    public async Task The_listener_reconnects_after_its_connection_is_terminated_and_wakes_the_dispatcher_once()
    {
        string channel = NewChannel();
        PostgreSqlOutboxStore store = await CreateStoreAsync(channel);
        var wakeUp = new OutboxWakeUp();
        var clock = new FakeTimeProvider(T0);
        using PostgreSqlWakeUpListener listener = CreateListener(channel, wakeUp, clock);
        await listener.StartAsync(Ct);
        int firstBackend = await listener.Listening.WaitAsync(EventTimeout, Ct);
        wakeUp.Reset();

        (await fixture.ExecuteScalarAsync($"SELECT pg_terminate_backend({firstBackend})", Ct)).Should().Be(true);

        // The listener waits for its reconnect delay on the fake clock: advance it until it listens on a new backend.
        int secondBackend = firstBackend;
        using (var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(30)))
        {
            while (secondBackend == firstBackend)
            {
                deadline.Token.ThrowIfCancellationRequested();
                clock.Advance(PostgreSqlWakeUpListener.InitialReconnectDelay);
                try
                {
                    secondBackend = await listener.Listening.WaitAsync(TimeSpan.FromMilliseconds(100), Ct);
                }
                catch (TimeoutException)
                {
                    // not reconnected yet
                }
            }
        }

        secondBackend.Should().NotBe(firstBackend);
        wakeUp.WaitAsync().IsCompleted.Should().BeTrue("the listener wakes the dispatcher once after reconnecting");
        Task woken = wakeUp.WaitAsync();
        woken.IsCompleted.Should().BeFalse("only one wake-up is sent for the reconnect");

        await EnqueueAsync(store, commit: true);

        await woken.WaitAsync(EventTimeout, Ct);
        await listener.StopAsync(Ct);
    }

    [Fact]
    public async Task With_npgsql_keepalive_the_idle_listener_runs_no_statement_and_still_notices_a_lost_connection()
    {
        string channel = NewChannel();
        PostgreSqlOutboxStore store = await CreateStoreAsync(channel);
        var keepAlive = new NpgsqlConnectionStringBuilder(fixture.ConnectionString) { KeepAlive = 1 };
        await using NpgsqlDataSource dataSource = NpgsqlDataSource.Create(keepAlive.ConnectionString);
        var wakeUp = new OutboxWakeUp();
        var clock = new FakeTimeProvider(T0);
        using PostgreSqlWakeUpListener listener = CreateListener(channel, wakeUp, clock, dataSource: dataSource);
        await listener.StartAsync(Ct);
        int firstBackend = await listener.Listening.WaitAsync(EventTimeout, Ct);

        // Several keepalive periods: Npgsql pings at the protocol level; the listener itself sends no query.
        await Task.Delay(TimeSpan.FromSeconds(2.5), Ct);
        (await fixture.ExecuteScalarAsync($"SELECT query FROM pg_stat_activity WHERE pid = {firstBackend}", Ct))
            .Should().Be($"LISTEN \"{channel}\"", "the last statement of the listening backend is still its LISTEN");

        (await fixture.ExecuteScalarAsync($"SELECT pg_terminate_backend({firstBackend})", Ct)).Should().Be(true);
        int secondBackend = firstBackend;
        using (var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(30)))
        {
            while (secondBackend == firstBackend)
            {
                deadline.Token.ThrowIfCancellationRequested();
                clock.Advance(PostgreSqlWakeUpListener.InitialReconnectDelay);
                try
                {
                    secondBackend = await listener.Listening.WaitAsync(TimeSpan.FromMilliseconds(100), Ct);
                }
                catch (TimeoutException)
                {
                    // not reconnected yet
                }
            }
        }

        wakeUp.Reset();
        Task woken = wakeUp.WaitAsync();
        await EnqueueAsync(store, commit: true);
        await woken.WaitAsync(EventTimeout, Ct);
        await listener.StopAsync(Ct);
    }

    [Theory]
    [InlineData("Host=h;Username=u", 30)]
    [InlineData("Host=h;Keepalive=0", 0)]
    [InlineData("Host=h;Keepalive=5", 5)]
    public void An_owned_data_source_keeps_its_connections_alive_unless_the_connection_string_says(string connectionString, int expected)
        => new NpgsqlConnectionStringBuilder(PostgreSqlOutboxDataSource.WithOwnedDefaults(connectionString)).KeepAlive.Should().Be(expected);

    [Fact]
    public async Task The_listener_does_nothing_when_notifications_are_off()
    {
        var wakeUp = new OutboxWakeUp();
        using PostgreSqlWakeUpListener listener = CreateListener(NewChannel(), wakeUp, TimeProvider.System, useNotifications: false);

        await listener.StartAsync(Ct);

        listener.ExecuteTask.Should().NotBeNull();
        await listener.ExecuteTask!.WaitAsync(EventTimeout, Ct);
        listener.Listening.IsCompleted.Should().BeFalse();
        await listener.StopAsync(Ct);
    }

    private static string NewChannel() => "oo_chan_" + Guid.NewGuid().ToString("N")[..12];

    private async Task<PostgreSqlOutboxStore> CreateStoreAsync(string channel)
    {
        PostgreSqlOutboxStore store = fixture.CreatePostgreSqlStore(o => o.NotificationChannel = channel, null, out _);
        await store.EnsureSchemaAsync(Ct);
        return store;
    }

    private PostgreSqlWakeUpListener CreateListener(
        string channel, OutboxWakeUp wakeUp, TimeProvider clock, bool useNotifications = true, NpgsqlDataSource? dataSource = null)
        => new(
            new PostgreSqlOutboxDataSource(dataSource ?? fixture.DataSource, owned: false),
            Options.Create(new PostgreSqlOutboxOptions { NotificationChannel = channel, UseNotifications = useNotifications }),
            Options.Create(new OutboxOptions()),
            wakeUp,
            clock,
            NullLogger<PostgreSqlWakeUpListener>.Instance);

    private async Task EnqueueAsync(PostgreSqlOutboxStore store, bool commit)
    {
        await using NpgsqlConnection connection = await fixture.DataSource.OpenConnectionAsync(Ct);
        await using NpgsqlTransaction transaction = await connection.BeginTransactionAsync(Ct);
        await store.EnqueueAsync(transaction, new OutboxEntry(MessageId.NewId(T0), "order.completed", "o-1", "{}", null, T0), Ct);
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
