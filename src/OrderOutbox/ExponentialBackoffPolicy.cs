using Microsoft.Extensions.Options;

namespace OrderOutbox;

/// <summary>
/// The default <see cref="IBackoffPolicy"/>: the delay after the <i>n</i>-th failure is
/// <c>InitialDelay × Multiplier^(n-1)</c>, capped at <see cref="BackoffOptions.MaxDelay"/>, for
/// <see cref="BackoffOptions.MaxRetries"/> retries. With the defaults: retries after
/// 1, 2, 4, 8 and 16 minutes (0, 1, 3, 7, 15, 31 minutes after the first attempt), then dead letter.
/// </summary>
public sealed class ExponentialBackoffPolicy : IBackoffPolicy
{
    private readonly BackoffOptions _options;

    /// <summary>Creates the policy from the outbox options.</summary>
    /// <param name="options">The outbox options; <see cref="OutboxOptions.Backoff"/> is used.</param>
    public ExponentialBackoffPolicy(IOptions<OutboxOptions> options)
        : this((options ?? throw new ArgumentNullException(nameof(options))).Value.Backoff)
    {
    }

    /// <summary>Creates the policy from backoff options.</summary>
    /// <param name="options">The backoff options.</param>
    public ExponentialBackoffPolicy(BackoffOptions options)
        => _options = options ?? throw new ArgumentNullException(nameof(options));

    /// <inheritdoc />
    public bool TryGetRetryDelay(int failedAttempts, out TimeSpan delay)
    {
        if (failedAttempts < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(failedAttempts), failedAttempts, "The number of failed attempts starts at 1.");
        }

        if (failedAttempts > _options.MaxRetries)
        {
            delay = TimeSpan.Zero;
            return false;
        }

        double ticks = _options.InitialDelay.Ticks * Math.Pow(_options.Multiplier, failedAttempts - 1);
        if (_options.UseJitter)
        {
#pragma warning disable CA5394 // jitter needs no cryptographic randomness
            ticks *= 0.8 + (Random.Shared.NextDouble() * 0.4);
#pragma warning restore CA5394
        }

        delay = ticks >= _options.MaxDelay.Ticks ? _options.MaxDelay : TimeSpan.FromTicks((long)ticks);
        return true;
    }
}
