namespace OrderOutbox;

/// <summary>
/// An outbox record as read from the store: a claimed record handed to an <see cref="IDispatcher"/>,
/// or a record listed by <see cref="IOutboxAdmin"/>.
/// </summary>
public sealed class OutboxMessage
{
    /// <summary>The message ID: a time-ordered UUID (version 7), stable across retries; the receiver's de-duplication key.</summary>
    public required Guid Id { get; init; }

    /// <summary>The message type, for example <c>order.completed</c>.</summary>
    public required string MessageType { get; init; }

    /// <summary>The business key the message is about (for example the order ID), or <see langword="null"/>.</summary>
    public string? AggregateId { get; init; }

    /// <summary>The JSON payload exactly as serialised at enqueue time; it is sent byte-for-byte (UTF-8).</summary>
    public required string Payload { get; init; }

    /// <summary>Optional JSON object of string headers captured at enqueue (for example <c>traceparent</c>), or <see langword="null"/>.</summary>
    public string? Headers { get; init; }

    /// <summary>The current status.</summary>
    public OutboxStatus Status { get; init; }

    /// <summary>The number of failed attempts so far.</summary>
    public int RetryCount { get; init; }

    /// <summary>When the record was enqueued.</summary>
    public DateTimeOffset CreatedAt { get; init; }

    /// <summary>When the record is (or was) due for its next attempt.</summary>
    public DateTimeOffset NextAttemptAt { get; init; }

    /// <summary>When the last attempt started, or <see langword="null"/> if never attempted.</summary>
    public DateTimeOffset? LastAttemptAt { get; init; }

    /// <summary>When the record was delivered, or <see langword="null"/>.</summary>
    public DateTimeOffset? SentAt { get; init; }

    /// <summary>The last failure (status code and reason, or exception type and message), truncated; or <see langword="null"/>.</summary>
    public string? LastError { get; init; }

    /// <summary>
    /// The lease owner (<c>locked_by</c>): the token of the claim that holds the record, or <see langword="null"/>.
    /// A claim token is unique per claim, so it fences outcome writes (see <see cref="IOutboxStore"/>).
    /// </summary>
    public string? LeaseOwner { get; init; }

    /// <summary>When the current lease expires (<c>locked_until</c>), or <see langword="null"/>.</summary>
    public DateTimeOffset? LeaseExpiresAt { get; init; }

    /// <summary>
    /// When an operator last moved the record from <c>DEAD_LETTER</c> back to <c>PENDING</c> (<c>requeued_at</c>, written
    /// by the requeue and replay methods of <see cref="IOutboxAdmin"/>), or <see langword="null"/> if it never was.
    /// </summary>
    public DateTimeOffset? RequeuedAt { get; init; }
}
