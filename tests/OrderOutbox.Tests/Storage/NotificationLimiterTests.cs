using FluentAssertions;
using Microsoft.Extensions.Time.Testing;
using OrderOutbox.Storage;
using Xunit;

namespace OrderOutbox.Tests.Storage;

public sealed class NotificationLimiterTests
{
    public static TheoryData<long?, long, long, bool> Decisions => new()
    {
        // last notified at, now, cooldown, due?
        { null, 0, 100, true },            // never notified
        { null, long.MinValue + 1, 100, true },
        { 1_000, 1_000, 100, false },      // just notified
        { 1_000, 1_099, 100, false },      // one unit short of the cooldown
        { 1_000, 1_100, 100, true },       // exactly the cooldown
        { 1_000, 5_000, 100, true },       // long ago
        { 1_000, 900, 100, false },        // another thread recorded a later timestamp first
        { 1_000, 1_000, 0, true },         // zero cooldown: every enqueue notifies
        { 1_000, 900, 0, true },
    };

    [Theory]
    [MemberData(nameof(Decisions))]
    public void IsDue_decides_from_the_last_notification_now_and_the_cooldown(long? last, long now, long cooldown, bool expected)
        => NotificationLimiter.IsDue(last, now, cooldown).Should().Be(expected);

    [Fact]
    public void One_enqueue_per_cooldown_notifies()
    {
        var time = new FakeTimeProvider();
        var limiter = new NotificationLimiter(TimeSpan.FromMilliseconds(5), time);

        limiter.ShouldNotify().Should().BeTrue("the first enqueue notifies");
        limiter.ShouldNotify().Should().BeFalse("the second is within the cooldown");
        time.Advance(TimeSpan.FromMilliseconds(5) - TimeSpan.FromTicks(1));
        limiter.ShouldNotify().Should().BeFalse("one tick short of the cooldown");
        time.Advance(TimeSpan.FromTicks(1));
        limiter.ShouldNotify().Should().BeTrue("the cooldown is over");
        limiter.ShouldNotify().Should().BeFalse("and a new one started");
    }

    [Fact]
    public void A_zero_cooldown_lets_every_enqueue_notify()
    {
        var limiter = new NotificationLimiter(TimeSpan.Zero, new FakeTimeProvider());

        Enumerable.Range(0, 10).Select(_ => limiter.ShouldNotify()).Should().AllBeEquivalentTo(true);
    }

    [Fact]
    public async Task Concurrent_enqueues_at_one_instant_send_exactly_one_notification()
    {
        var limiter = new NotificationLimiter(TimeSpan.FromMilliseconds(5), new FakeTimeProvider());
        using var start = new Barrier(16);

        bool[] results = await Task.WhenAll(Enumerable.Range(0, 16).Select(_ => Task.Run(() =>
        {
            start.SignalAndWait(TestContext.Current.CancellationToken);
            return limiter.ShouldNotify();
        })));

        results.Count(r => r).Should().Be(1);
    }

    [Fact]
    public void Limiters_of_one_channel_on_the_system_clock_share_the_last_notification()
    {
        string channel = "limiter_test_" + Guid.NewGuid().ToString("N");
        NotificationLimiter store = NotificationLimiter.ForChannel(channel, TimeSpan.FromMinutes(1), TimeProvider.System);
        NotificationLimiter efCore = NotificationLimiter.ForChannel(channel, TimeSpan.FromMinutes(1), TimeProvider.System);
        NotificationLimiter other = NotificationLimiter.ForChannel(channel + "_other", TimeSpan.FromMinutes(1), TimeProvider.System);

        store.ShouldNotify().Should().BeTrue();
        efCore.ShouldNotify().Should().BeFalse("the store's writer notified on this channel a moment ago");
        other.ShouldNotify().Should().BeTrue("another channel has its own cooldown");
    }

    [Fact]
    public void A_limiter_on_another_clock_keeps_its_own_last_notification()
    {
        string channel = "limiter_test_" + Guid.NewGuid().ToString("N");
        NotificationLimiter.ForChannel(channel, TimeSpan.FromMinutes(1), TimeProvider.System).ShouldNotify().Should().BeTrue();

        NotificationLimiter.ForChannel(channel, TimeSpan.FromMinutes(1), new FakeTimeProvider()).ShouldNotify().Should().BeTrue();
    }

    [Fact]
    public void A_negative_cooldown_is_refused()
    {
        Action act = () => _ = new NotificationLimiter(TimeSpan.FromTicks(-1), new FakeTimeProvider());

        act.Should().Throw<ArgumentOutOfRangeException>();
    }
}
