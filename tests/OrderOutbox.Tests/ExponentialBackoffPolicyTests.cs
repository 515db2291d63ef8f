using FluentAssertions;
using Microsoft.Extensions.Options;
using Xunit;

namespace OrderOutbox.Tests;

public sealed class ExponentialBackoffPolicyTests
{
    [Fact]
    public void The_defaults_are_the_seed_table_1_2_4_8_16_minutes_then_dead_letter()
    {
        var policy = new ExponentialBackoffPolicy(Options.Create(new OutboxOptions()));

        var delays = new List<double>();
        for (int failed = 1; failed <= 5; failed++)
        {
            policy.TryGetRetryDelay(failed, out TimeSpan delay).Should().BeTrue();
            delays.Add(delay.TotalMinutes);
        }

        delays.Should().Equal(1, 2, 4, 8, 16);
        policy.TryGetRetryDelay(6, out _).Should().BeFalse("five retries, then dead letter");
    }

    [Fact]
    public void Delays_are_capped_at_max_delay()
    {
        var policy = new ExponentialBackoffPolicy(new BackoffOptions { InitialDelay = TimeSpan.FromMinutes(10), Multiplier = 10, MaxDelay = TimeSpan.FromHours(1), MaxRetries = 4 });

        policy.TryGetRetryDelay(1, out TimeSpan first);
        policy.TryGetRetryDelay(2, out TimeSpan second);
        policy.TryGetRetryDelay(4, out TimeSpan fourth);

        first.Should().Be(TimeSpan.FromMinutes(10));
        second.Should().Be(TimeSpan.FromHours(1));
        fourth.Should().Be(TimeSpan.FromHours(1));
    }

    [Fact]
    public void A_multiplier_of_one_gives_a_constant_delay()
    {
        var policy = new ExponentialBackoffPolicy(new BackoffOptions { InitialDelay = TimeSpan.FromSeconds(30), Multiplier = 1 });

        policy.TryGetRetryDelay(5, out TimeSpan delay).Should().BeTrue();
        delay.Should().Be(TimeSpan.FromSeconds(30));
    }

    [Fact]
    public void Zero_retries_dead_letters_on_the_first_failure()
        => new ExponentialBackoffPolicy(new BackoffOptions { MaxRetries = 0 }).TryGetRetryDelay(1, out _).Should().BeFalse();

    [Fact]
    public void Jitter_stays_within_twenty_percent()
    {
        var policy = new ExponentialBackoffPolicy(new BackoffOptions { UseJitter = true });

        for (int i = 0; i < 200; i++)
        {
            policy.TryGetRetryDelay(3, out TimeSpan delay).Should().BeTrue();
            delay.TotalMinutes.Should().BeInRange(4 * 0.8, 4 * 1.2);
        }
    }

    [Fact]
    public void Failed_attempts_start_at_one()
    {
        Action act = () => new ExponentialBackoffPolicy(new BackoffOptions()).TryGetRetryDelay(0, out _);

        act.Should().Throw<ArgumentOutOfRangeException>();
    }
}
