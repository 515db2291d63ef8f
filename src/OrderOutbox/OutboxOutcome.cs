namespace OrderOutbox;

/// <summary>
/// The result of one attempt, as the dispatcher asks the store to record it
/// (<see cref="IOutboxStore.CompleteAsync"/>). The store writes these values; it decides nothing.
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
    string? LastError);
