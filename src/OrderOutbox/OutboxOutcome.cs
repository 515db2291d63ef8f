namespace OrderOutbox;

/// <summary>
/// The result of one attempt, as the dispatcher asks the store to record it
/// (<see cref="IOutboxStore.CompleteAsync"/>). The store writes these values; it decides nothing.
/// Build one with <see cref="Sent"/>, <see cref="Failed"/> or <see cref="DeadLetter"/>.
/// </summary>
/// <param name="Id">The message ID.</param>
/// <param name="LeaseOwner">The claim token the record was claimed with; the write is fenced by it.</param>
/// <param name="Status">
/// The new status: <see cref="OutboxStatus.Sent"/>, <see cref="OutboxStatus.Failed"/> or
/// <see cref="OutboxStatus.DeadLetter"/> (never <see cref="OutboxStatus.Pending"/>).
/// </param>
/// <param name="RetryCount">The new failed-attempt count (unchanged on success).</param>
/// <param name="AttemptedAt">When the attempt started (<c>last_attempt_at</c>).</param>
/// <param name="CompletedAt">When the attempt ended (<c>sent_at</c> on success).</param>
/// <param name="NextAttemptAt">For <see cref="OutboxStatus.Failed"/>, when the record is due again; otherwise <see langword="null"/> (left unchanged).</param>
/// <param name="LastError">The failure text (already truncated), or <see langword="null"/> on success.</param>
public readonly record struct OutboxOutcome(
    Guid Id,
    string LeaseOwner,
    OutboxStatus Status,
    int RetryCount,
    DateTimeOffset AttemptedAt,
    DateTimeOffset CompletedAt,
    DateTimeOffset? NextAttemptAt,
    string? LastError)
{
    /// <summary>The outcome of a delivered record: <c>SENT</c>, retry count unchanged, no error.</summary>
    /// <param name="message">The claimed record (its <see cref="OutboxMessage.LeaseOwner"/> fences the write).</param>
    /// <param name="attemptedAt">When the attempt started.</param>
    /// <param name="completedAt">When it ended; stored as the delivery time (<c>sent_at</c>).</param>
    /// <returns>The outcome.</returns>
    /// <exception cref="ArgumentException">The record carries no lease owner (it was not claimed).</exception>
    public static OutboxOutcome Sent(OutboxMessage message, DateTimeOffset attemptedAt, DateTimeOffset completedAt)
        => new(RequireClaimed(message).Id, message.LeaseOwner!, OutboxStatus.Sent, message.RetryCount, attemptedAt, completedAt, null, null);

    /// <summary>The outcome of a failed attempt that will be retried: <c>FAILED</c>, retry count + 1, due again at <paramref name="nextAttemptAt"/>.</summary>
    /// <param name="message">The claimed record (its <see cref="OutboxMessage.LeaseOwner"/> fences the write).</param>
    /// <param name="attemptedAt">When the attempt started.</param>
    /// <param name="completedAt">When it ended.</param>
    /// <param name="nextAttemptAt">When the record is due again.</param>
    /// <param name="error">The failure text, as it is to be stored in <c>last_error</c>.</param>
    /// <returns>The outcome.</returns>
    /// <exception cref="ArgumentException">The record carries no lease owner (it was not claimed).</exception>
    public static OutboxOutcome Failed(OutboxMessage message, DateTimeOffset attemptedAt, DateTimeOffset completedAt, DateTimeOffset nextAttemptAt, string error)
        => new(RequireClaimed(message).Id, message.LeaseOwner!, OutboxStatus.Failed, message.RetryCount + 1, attemptedAt, completedAt, nextAttemptAt, error);

    /// <summary>
    /// The outcome of a call that was not made (<see cref="DispatchResult.NotSent"/>): <c>FAILED</c> with the retry count
    /// unchanged, due again at <paramref name="nextAttemptAt"/>.
    /// </summary>
    /// <param name="message">The claimed record (its <see cref="OutboxMessage.LeaseOwner"/> fences the write).</param>
    /// <param name="attemptedAt">When the call would have started.</param>
    /// <param name="completedAt">When it was given up.</param>
    /// <param name="nextAttemptAt">When the record is due again.</param>
    /// <param name="reason">Why it was not sent, as it is to be stored in <c>last_error</c>.</param>
    /// <returns>The outcome.</returns>
    /// <exception cref="ArgumentException">The record carries no lease owner (it was not claimed).</exception>
    public static OutboxOutcome NotSent(OutboxMessage message, DateTimeOffset attemptedAt, DateTimeOffset completedAt, DateTimeOffset nextAttemptAt, string reason)
        => new(RequireClaimed(message).Id, message.LeaseOwner!, OutboxStatus.Failed, message.RetryCount, attemptedAt, completedAt, nextAttemptAt, reason);

    /// <summary>The outcome of a failed attempt that ends the record: <c>DEAD_LETTER</c>, retry count + 1.</summary>
    /// <param name="message">The claimed record (its <see cref="OutboxMessage.LeaseOwner"/> fences the write).</param>
    /// <param name="attemptedAt">When the attempt started.</param>
    /// <param name="completedAt">When it ended.</param>
    /// <param name="error">The failure text, as it is to be stored in <c>last_error</c>.</param>
    /// <returns>The outcome.</returns>
    /// <exception cref="ArgumentException">The record carries no lease owner (it was not claimed).</exception>
    public static OutboxOutcome DeadLetter(OutboxMessage message, DateTimeOffset attemptedAt, DateTimeOffset completedAt, string error)
        => new(RequireClaimed(message).Id, message.LeaseOwner!, OutboxStatus.DeadLetter, message.RetryCount + 1, attemptedAt, completedAt, null, error);

    private static OutboxMessage RequireClaimed(OutboxMessage message)
    {
        ArgumentNullException.ThrowIfNull(message);
        if (message.LeaseOwner is null)
        {
            throw new ArgumentException(
                $"OutboxMessage {message.Id} has LeaseOwner = null: only a record returned by IOutboxStore.ClaimAsync (which carries its claim token) can have an outcome.",
                nameof(message));
        }

        return message;
    }
}
