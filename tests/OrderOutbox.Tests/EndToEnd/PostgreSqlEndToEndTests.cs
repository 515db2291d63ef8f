using System.Diagnostics;
using FluentAssertions;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using Npgsql;
using OrderOutbox.PostgreSql;
using Xunit;

namespace OrderOutbox.Tests.EndToEnd;

/// <summary>
/// The end-to-end suite over PostgreSQL, plus the <c>LISTEN</c>/<c>NOTIFY</c> wake-up seen from outside: with a
/// one-minute poll, a commit reaches the receiver at once with notifications on, and not before the next poll without.
/// </summary>
public sealed class PostgreSqlEndToEndTests(PostgreSqlEndToEndFixture fixture) : EndToEndTests<PostgreSqlEndToEndFixture>(fixture)
{
    private static readonly TimeSpan LongPoll = TimeSpan.FromMinutes(1);

    [Fact]
    public async Task With_notifications_a_commit_wakes_the_idle_dispatcher_and_arrives_well_under_a_second()
    {
        string orders = await CreateOrdersTableAsync(1);
        await using EndToEndHost host = await StartHostAsync(o => o.PollingInterval = LongPoll);
        PostgreSqlWakeUpListener listener = Listener(host);
        await listener.Listening.WaitAsync(Deadline, Ct);
        await WaitForFirstIdleCycleAsync(host);

        Completion completion = await CompleteOrderAsync(host, orders, NewOrder(0), commit: true, Ct);
        IReadOnlyList<Delivery> deliveries = await host.Receiver.WaitForAsync(
            d => d.Count > 0, Deadline, "the notified delivery", Ct);

        TimeSpan commitToArrival = Stopwatch.GetElapsedTime(completion.CommittingAt, deliveries[0].ArrivedAt);
        TestContext.Current.TestOutputHelper?.WriteLine($"commit to arrival: {commitToArrival.TotalMilliseconds:0.0} ms");
        deliveries.Single().MessageId.Should().Be(completion.MessageId);
        commitToArrival.Should().BeLessThan(
            TimeSpan.FromSeconds(1), "a commit notifies the listener, which wakes the dispatcher before its one-minute poll");
        listener.NotificationCount.Should().BeGreaterThanOrEqualTo(1);
    }

    [Fact]
    public async Task Without_notifications_a_commit_in_another_process_waits_for_the_next_poll()
    {
        await using EndToEndHost host = await StartHostAsync(
            o => o.PollingInterval = LongPoll,
            s => ((PostgreSqlOutboxOptions)s).UseNotifications = false);
        await WaitForFirstIdleCycleAsync(host);

        // Another process's writer (this host's own writer would wake its dispatcher in-process).
        await using WriterProcess writers = OtherProcessWriters(host);
        await using NpgsqlConnection connection = await writers.DataSource.OpenConnectionAsync(Ct);
        await using NpgsqlTransaction transaction = await connection.BeginTransactionAsync(Ct);
        Guid id = await writers.EnqueueAsync(transaction);
        await transaction.CommitAsync(Ct);

        // The contrast to the test above: the same commit, with nothing to wake the dispatcher, stays put well past the
        // bound that one meets. (A deliberate real wait: this checks that nothing happens.)
        await Task.Delay(TimeSpan.FromSeconds(1.5), Ct);
        host.Receiver.Deliveries.Should().BeEmpty();
        Listener(host).Listening.IsCompleted.Should().BeFalse("the listener does not LISTEN when notifications are off");
        OutboxMessage? stored = await host.Admin.GetAsync(id, Ct);
        stored!.Status.Should().Be(OutboxStatus.Pending);
        stored.LastAttemptAt.Should().BeNull();
    }

    [Fact]
    public async Task A_record_whose_notification_the_cooldown_suppressed_is_delivered_by_the_follow_up_claim_long_before_the_poll()
    {
        await using EndToEndHost host = await StartHostAsync(
            o => o.PollingInterval = LongPoll,
            s => ((PostgreSqlOutboxOptions)s).NotificationCooldown = PostgreSqlOutboxOptions.MaxNotificationCooldown);
        PostgreSqlWakeUpListener listener = Listener(host);
        await listener.Listening.WaitAsync(Deadline, Ct);
        await WaitForFirstIdleCycleAsync(host);

        // The writers of another process: their own limiter, on a clock that does not move, so only the first enqueue
        // carries pg_notify; nothing tells this host's dispatcher about the second one except the follow-up claim.
        await using WriterProcess writers = OtherProcessWriters(host);
        await using NpgsqlConnection first = await writers.DataSource.OpenConnectionAsync(Ct);
        await using NpgsqlConnection second = await writers.DataSource.OpenConnectionAsync(Ct);
        await using NpgsqlTransaction notifying = await first.BeginTransactionAsync(Ct);
        await using NpgsqlTransaction suppressed = await second.BeginTransactionAsync(Ct);
        Guid a = await writers.EnqueueAsync(notifying);
        Guid b = await writers.EnqueueAsync(suppressed);

        await notifying.CommitAsync(Ct);
        await host.Receiver.WaitForAsync(d => d.Any(x => x.MessageId == a), Deadline, "the notified record", Ct);

        // Committed after the dispatcher's claim that the notification woke: only the follow-up claim can find it.
        await suppressed.CommitAsync(Ct);
        long committedAt = Stopwatch.GetTimestamp();
        IReadOnlyList<Delivery> deliveries = await host.Receiver.WaitForAsync(d => d.Any(x => x.MessageId == b), Deadline, "the suppressed record", Ct);

        TimeSpan commitToArrival = Stopwatch.GetElapsedTime(committedAt, deliveries.First(x => x.MessageId == b).ArrivedAt);
        TestContext.Current.TestOutputHelper?.WriteLine($"suppressed record, commit to arrival: {commitToArrival.TotalMilliseconds:0.0} ms");
        commitToArrival.Should().BeLessThan(LongPoll / 2, "the dispatcher claims again one cooldown (1 s) after a wake-up, not at its one-minute poll");
        listener.NotificationCount.Should().Be(1, "the second enqueue was within the cooldown and carried no notification");
    }

    [Fact]
    public async Task When_the_one_notifying_transaction_rolls_back_a_suppressed_record_waits_for_the_next_notification()
    {
        await using EndToEndHost host = await StartHostAsync(
            o => o.PollingInterval = LongPoll,
            s => ((PostgreSqlOutboxOptions)s).NotificationCooldown = PostgreSqlOutboxOptions.MaxNotificationCooldown);
        PostgreSqlWakeUpListener listener = Listener(host);
        await listener.Listening.WaitAsync(Deadline, Ct);
        await WaitForFirstIdleCycleAsync(host);

        await using WriterProcess writers = OtherProcessWriters(host);
        await using NpgsqlConnection first = await writers.DataSource.OpenConnectionAsync(Ct);
        await using NpgsqlConnection second = await writers.DataSource.OpenConnectionAsync(Ct);
        await using NpgsqlTransaction notifying = await first.BeginTransactionAsync(Ct);
        await using NpgsqlTransaction suppressed = await second.BeginTransactionAsync(Ct);
        _ = await writers.EnqueueAsync(notifying);
        Guid b = await writers.EnqueueAsync(suppressed);
        await notifying.RollbackAsync(Ct);
        await suppressed.CommitAsync(Ct);

        // The notification went with the rolled-back transaction: no wake-up, so the committed record waits.
        // (A deliberate real wait: this checks that nothing happens.)
        await Task.Delay(TimeSpan.FromSeconds(1.5), Ct);
        host.Receiver.Deliveries.Should().BeEmpty();
        listener.NotificationCount.Should().Be(0);

        // The next enqueue after the cooldown notifies, and its wake-up's claim takes the waiting record too.
        writers.Clock.Advance(PostgreSqlOutboxOptions.MaxNotificationCooldown);
        await using NpgsqlTransaction next = await first.BeginTransactionAsync(Ct);
        Guid c = await writers.EnqueueAsync(next);
        await next.CommitAsync(Ct);

        IReadOnlyList<Delivery> deliveries = await host.Receiver.WaitForAsync(d => d.Count >= 2, Deadline, "both records", Ct);
        deliveries.Select(d => d.MessageId).Should().BeEquivalentTo([b, c]);
        listener.NotificationCount.Should().Be(1);
    }

    [Fact]
    public async Task In_one_process_a_suppressed_record_needs_no_notification_the_writer_wakes_its_dispatcher()
    {
        string orders = await CreateOrdersTableAsync(2);
        await using EndToEndHost host = await StartHostAsync(
            o => o.PollingInterval = LongPoll,
            s => ((PostgreSqlOutboxOptions)s).UseNotifications = false);
        await WaitForFirstIdleCycleAsync(host);

        // No LISTEN/NOTIFY at all: the writer of this host tells its dispatcher, which claims shortly after.
        Completion completion = await CompleteOrderAsync(host, orders, NewOrder(0), commit: true, Ct);
        IReadOnlyList<Delivery> deliveries = await host.Receiver.WaitForAsync(d => d.Count > 0, Deadline, "the in-process wake-up", Ct);

        deliveries.Single().MessageId.Should().Be(completion.MessageId);
        Stopwatch.GetElapsedTime(completion.CommittingAt, deliveries[0].ArrivedAt).Should().BeLessThan(LongPoll / 2);
    }

    private static WriterProcess OtherProcessWriters(EndToEndHost host)
    {
        PostgreSqlOutboxOptions hostOptions = host.Services.GetRequiredService<IOptions<PostgreSqlOutboxOptions>>().Value;
        var options = new PostgreSqlOutboxOptions
        {
            Schema = hostOptions.Schema,
            TableName = hostOptions.TableName,
            NotificationChannel = hostOptions.NotificationChannel,
            NotificationCooldown = hostOptions.NotificationCooldown,
            UseNotifications = hostOptions.UseNotifications,
        };
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        NpgsqlDataSource dataSource = host.Services.GetRequiredService<PostgreSqlOutboxDataSource>().DataSource;
        return new WriterProcess(new PostgreSqlOutboxStore(dataSource, options, clock), dataSource, clock);
    }

    /// <summary>A writer as another process has it: its own store (and so its own notification limiter), no dispatcher.</summary>
    private sealed class WriterProcess(PostgreSqlOutboxStore store, NpgsqlDataSource dataSource, FakeTimeProvider clock) : IAsyncDisposable
    {
        public NpgsqlDataSource DataSource { get; } = dataSource;

        public FakeTimeProvider Clock { get; } = clock;

        public async Task<Guid> EnqueueAsync(NpgsqlTransaction transaction)
        {
            DateTimeOffset now = TimeProvider.System.GetUtcNow();
            Guid id = MessageId.NewId(now);
            await store.EnqueueAsync(transaction, new OutboxEntry(id, "order.completed", null, "{\"orderId\":\"x\"}", null, now), Ct);
            return id;
        }

        public ValueTask DisposeAsync() => ValueTask.CompletedTask;
    }

    private static PostgreSqlWakeUpListener Listener(EndToEndHost host)
        => host.Services.GetServices<IHostedService>().OfType<PostgreSqlWakeUpListener>().Single();

    /// <summary>Waits until the dispatcher has finished a cycle that found nothing (it now waits for its poll or a wake-up).</summary>
    private static Task<LogEntry> WaitForFirstIdleCycleAsync(EndToEndHost host)
        => host.Logs.WaitForAsync(
            e => e.EventId == EndToEndLogs.CycleCompletedEventId && e.Get("Count") is 0,
            Deadline,
            "the first idle cycle",
            Ct);
}
