using FluentAssertions;
using Microsoft.Extensions.Time.Testing;
using OrderOutbox.Hosting;
using Xunit;

namespace OrderOutbox.Tests.Hosting;

public sealed class OutboxWakeUpTests : IDisposable
{
    private readonly FakeTimeProvider _time = new();
    private readonly OutboxWakeUp _wakeUp;

    public OutboxWakeUpTests() => _wakeUp = new OutboxWakeUp(_time);

    public void Dispose() => _wakeUp.Dispose();

    public static TheoryData<long, long, long, long> Buckets => new()
    {
        // now (ticks), delay (ticks), bucket (ticks), due (ticks); frequency 10,000,000 per second
        { 0, 0, 10_000, 0 },
        { 0, 1, 10_000, 10_000 },            // rounded up to the next millisecond
        { 0, 20_000, 10_000, 20_000 },       // on a boundary already
        { 5_000, 20_000, 10_000, 30_000 },   // 2.5 ms → 3 ms
        { 9_999, 1, 10_000, 10_000 },        // two requests in one millisecond share it
        { 10_000, 0, 10_000, 10_000 },
    };

    [Theory]
    [MemberData(nameof(Buckets))]
    public void DueBucket_rounds_the_due_time_up_to_the_millisecond(long now, long delay, long bucket, long expected)
        => OutboxWakeUp.DueBucket(now, TimeSpan.FromTicks(delay), TimeSpan.TicksPerSecond, bucket).Should().Be(expected);

    [Fact]
    public void NotifyAfter_wakes_the_dispatcher_when_the_delay_has_passed_and_not_before()
    {
        Task wait = _wakeUp.WaitAsync();
        _wakeUp.NotifyAfter(TimeSpan.FromMilliseconds(5));

        _time.Advance(TimeSpan.FromMilliseconds(4));
        wait.IsCompleted.Should().BeFalse();
        _time.Advance(TimeSpan.FromMilliseconds(1));
        wait.IsCompleted.Should().BeTrue();
        _wakeUp.PendingCount.Should().Be(0);
    }

    [Fact]
    public void Wake_ups_due_later_fire_in_order_and_ones_in_the_same_millisecond_are_one()
    {
        _wakeUp.NotifyAfter(TimeSpan.FromMilliseconds(20));
        _wakeUp.NotifyAfter(TimeSpan.FromMilliseconds(2));
        _wakeUp.NotifyAfter(TimeSpan.FromMilliseconds(2));
        _wakeUp.PendingCount.Should().Be(2);

        Task first = _wakeUp.WaitAsync();
        _time.Advance(TimeSpan.FromMilliseconds(2));
        first.IsCompleted.Should().BeTrue("the 2 ms wake-up fired");

        _wakeUp.Reset();
        Task second = _wakeUp.WaitAsync();
        _time.Advance(TimeSpan.FromMilliseconds(17));
        second.IsCompleted.Should().BeFalse("the 20 ms one is not due yet");
        _time.Advance(TimeSpan.FromMilliseconds(1));
        second.IsCompleted.Should().BeTrue();
        _wakeUp.PendingCount.Should().Be(0);
    }

    [Fact]
    public void A_commit_notification_wakes_now_and_once_more_after_the_cooldown()
    {
        Task now = _wakeUp.WaitAsync();
        _wakeUp.NotifyCommitted(TimeSpan.FromMilliseconds(5));
        now.IsCompleted.Should().BeTrue();

        _wakeUp.Reset();
        Task followUp = _wakeUp.WaitAsync();
        followUp.IsCompleted.Should().BeFalse();
        _time.Advance(TimeSpan.FromMilliseconds(5));
        followUp.IsCompleted.Should().BeTrue();
    }

    [Fact]
    public void A_cycle_that_found_work_asks_for_one_more_claim_only_after_notifications_with_a_cooldown()
    {
        _wakeUp.CycleFoundWork();
        _wakeUp.PendingCount.Should().Be(0, "without notifications there is no cooldown to follow up");

        _wakeUp.NotifyCommitted(TimeSpan.FromMilliseconds(5));
        _time.Advance(TimeSpan.FromMilliseconds(5));
        _wakeUp.PendingCount.Should().Be(0);

        _wakeUp.CycleFoundWork();
        _wakeUp.PendingCount.Should().Be(1);
        _wakeUp.Reset();
        Task next = _wakeUp.WaitAsync();
        _time.Advance(TimeSpan.FromMilliseconds(5));
        next.IsCompleted.Should().BeTrue();
    }

    [Fact]
    public void A_zero_cooldown_adds_no_follow_up()
    {
        _wakeUp.NotifyCommitted(TimeSpan.Zero);
        _wakeUp.CycleFoundWork();

        _wakeUp.PendingCount.Should().Be(0);
    }

    [Fact]
    public void An_enqueue_in_this_process_asks_for_claims_shortly_after()
    {
        _wakeUp.RecordEnqueued();
        _wakeUp.PendingCount.Should().Be(OutboxWakeUp.AfterLocalEnqueue.Length);

        Task wait = _wakeUp.WaitAsync();
        _time.Advance(OutboxWakeUp.AfterLocalEnqueue[0]);
        wait.IsCompleted.Should().BeTrue();
    }

    [Fact]
    public void After_Dispose_no_wake_up_is_scheduled()
    {
        _wakeUp.NotifyAfter(TimeSpan.FromMilliseconds(5));
        _wakeUp.Dispose();
        Task wait = _wakeUp.WaitAsync();

        _time.Advance(TimeSpan.FromSeconds(1));
        _wakeUp.NotifyAfter(TimeSpan.FromMilliseconds(5));

        wait.IsCompleted.Should().BeFalse();
        _wakeUp.PendingCount.Should().Be(0);
    }
}
