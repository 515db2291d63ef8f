namespace OrderOutbox;

/// <summary>
/// Decides how long a failed record waits before its next attempt, and when retries are exhausted.
/// The default is <see cref="ExponentialBackoffPolicy"/>: 1, 2, 4, 8, 16 minutes, five retries.
/// </summary>
public interface IBackoffPolicy
{
    /// <summary>
    /// Gets the delay before the next attempt after the <paramref name="failedAttempts"/>-th failed attempt.
    /// </summary>
    /// <param name="failedAttempts">
    /// The number of failed attempts so far, including the one that just failed (1 after the first attempt fails).
    /// </param>
    /// <param name="delay">The delay before the next attempt, when one is allowed.</param>
    /// <returns>
    /// <see langword="true"/> if another attempt is allowed; <see langword="false"/> if retries are exhausted
    /// and the record becomes a dead letter.
    /// </returns>
    bool TryGetRetryDelay(int failedAttempts, out TimeSpan delay);
}
