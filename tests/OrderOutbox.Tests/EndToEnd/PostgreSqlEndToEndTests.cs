using System.Diagnostics;
using FluentAssertions;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
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
    public async Task Without_notifications_a_commit_waits_for_the_next_poll()
    {
        string orders = await CreateOrdersTableAsync(1);
        await using EndToEndHost host = await StartHostAsync(
            o => o.PollingInterval = LongPoll,
            s => ((PostgreSqlOutboxOptions)s).UseNotifications = false);
        await WaitForFirstIdleCycleAsync(host);

        Completion completion = await CompleteOrderAsync(host, orders, NewOrder(0), commit: true, Ct);

        // The contrast to the test above: the same commit, with nothing to wake the dispatcher, stays put well past the
        // bound that one meets. (A deliberate real wait: this checks that nothing happens.)
        await Task.Delay(TimeSpan.FromSeconds(1.5), Ct);
        host.Receiver.Deliveries.Should().BeEmpty();
        Listener(host).Listening.IsCompleted.Should().BeFalse("the listener does not LISTEN when notifications are off");
        OutboxMessage? stored = await host.Admin.GetAsync(completion.MessageId, Ct);
        stored!.Status.Should().Be(OutboxStatus.Pending);
        stored.LastAttemptAt.Should().BeNull();
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
