using FluentAssertions;
using Microsoft.Extensions.Time.Testing;
using OrderOutbox.Dispatching;
using Xunit;

namespace OrderOutbox.Tests.Dispatching;

public sealed class EndpointRateLimiterTests
{
    private static readonly DateTimeOffset Now = new(2026, 3, 1, 9, 0, 0, TimeSpan.Zero);

    private CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public void Reservations_are_spaced_at_the_rate_after_the_burst()
    {
        var limiter = new EndpointRateLimiter(new FakeTimeProvider(Now), rate: 10, burst: 2);

        double[] waits = [.. Enumerable.Range(0, 100).Select(_ => limiter.Reserve().TotalSeconds)];

        waits[0].Should().Be(0);
        waits[1].Should().Be(0);
        for (int i = 2; i < waits.Length; i++)
        {
            waits[i].Should().BeApproximately((i - 1) * 0.1, 1e-9, "request {0} may go only once the bucket has refilled", i);
        }
    }

    [Fact]
    public void The_rate_holds_in_every_second_while_requests_keep_coming()
    {
        var time = new FakeTimeProvider(Now);
        var limiter = new EndpointRateLimiter(time, rate: 50, burst: 5);
        var sentAt = new List<TimeSpan>();
        TimeSpan clock = TimeSpan.Zero;

        // One request every 5 ms offered for 10 s (200/s), each sent when its reservation allows.
        for (int i = 0; i < 2000; i++)
        {
            sentAt.Add(clock + limiter.Reserve());
            time.Advance(TimeSpan.FromMilliseconds(5));
            clock += TimeSpan.FromMilliseconds(5);
        }

        for (int second = 1; second < 39; second++)
        {
            var window = (From: TimeSpan.FromSeconds(second), To: TimeSpan.FromSeconds(second + 1));
            sentAt.Count(t => t >= window.From && t < window.To).Should().BeInRange(49, 51, "second {0} is past the burst", second);
        }

        sentAt.Count(t => t < TimeSpan.FromSeconds(1)).Should().BeLessThanOrEqualTo(5 + 50, "the first second holds the burst plus the rate");
    }

    [Fact]
    public void A_quiet_period_refills_the_burst_but_never_beyond_it()
    {
        var time = new FakeTimeProvider(Now);
        var limiter = new EndpointRateLimiter(time, rate: 10, burst: 3);
        for (int i = 0; i < 3; i++)
        {
            limiter.Reserve();
        }

        time.Advance(TimeSpan.FromMinutes(5));

        limiter.Reserve().Should().Be(TimeSpan.Zero);
        limiter.Reserve().Should().Be(TimeSpan.Zero);
        limiter.Reserve().Should().Be(TimeSpan.Zero);
        limiter.Reserve().TotalSeconds.Should().BeApproximately(0.1, 1e-9);
    }

    [Fact]
    public void Burst_zero_means_one_seconds_worth()
    {
        var limiter = new EndpointRateLimiter(new FakeTimeProvider(Now), rate: 4, burst: 0);

        Enumerable.Range(0, 4).Select(_ => limiter.Reserve()).ToArray().Should().AllSatisfy(w => w.Should().Be(TimeSpan.Zero));
        limiter.Reserve().Should().BePositive();
    }

    [Fact]
    public async Task A_caller_waits_on_the_clock_and_a_cancelled_caller_gives_its_token_back()
    {
        var time = new FakeTimeProvider(Now);
        var limiter = new EndpointRateLimiter(time, rate: 1, burst: 1);
        await limiter.AcquireAsync(Ct);

        using var cancel = new CancellationTokenSource();
        Task cancelled = limiter.AcquireAsync(cancel.Token).AsTask();
        await cancel.CancelAsync();
        await FluentActions.Awaiting(() => cancelled).Should().ThrowAsync<OperationCanceledException>();

        Task waiting = limiter.AcquireAsync(Ct).AsTask();
        time.Advance(TimeSpan.FromMilliseconds(999));
        waiting.IsCompleted.Should().BeFalse("the next token is due after one second, not one taken by the cancelled caller");
        time.Advance(TimeSpan.FromMilliseconds(1));
        await waiting.WaitAsync(TimeSpan.FromSeconds(30), Ct);
    }

    [Fact]
    public void Without_a_rate_nothing_waits_but_a_pause_still_applies()
    {
        var time = new FakeTimeProvider(Now);
        var limiter = new EndpointRateLimiter(time, rate: 0, burst: 0);

        limiter.IsRateLimited.Should().BeFalse();
        limiter.AcquireAsync(Ct).AsTask().IsCompletedSuccessfully.Should().BeTrue();
        limiter.Pause(TimeSpan.FromSeconds(20));
        limiter.Pause(TimeSpan.FromSeconds(5));
        time.Advance(TimeSpan.FromSeconds(15));

        limiter.PausedFor().Should().Be(TimeSpan.FromSeconds(5), "a shorter pause never shortens a longer one");
        time.Advance(TimeSpan.FromSeconds(5));
        limiter.PausedFor().Should().Be(TimeSpan.Zero);
    }
}
