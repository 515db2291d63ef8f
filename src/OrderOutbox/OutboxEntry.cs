namespace OrderOutbox;

/// <summary>A new outbox record, as the writer hands it to <see cref="IOutboxStore.EnqueueAsync"/>.</summary>
/// <remarks>
/// Every store checks the message type and the aggregate ID with <see cref="Storage.OutboxEntryRules"/> before any SQL
/// runs, and stores the headers with control characters escaped (<see cref="Storage.StorableText"/>).
/// </remarks>
/// <param name="Id">The message ID (UUIDv7).</param>
/// <param name="MessageType">The message type, for example <c>order.completed</c>: 1 to 200 characters, no control character.</param>
/// <param name="AggregateId">The business key, or <see langword="null"/>: at most 450 characters, no control character.</param>
/// <param name="Payload">The serialised JSON payload, stored as text exactly as given.</param>
/// <param name="Headers">A JSON object of string headers, or <see langword="null"/>.</param>
/// <param name="CreatedAt">The enqueue time; also the first due time (<c>next_attempt_at</c>).</param>
public sealed record OutboxEntry(
    Guid Id,
    string MessageType,
    string? AggregateId,
    string Payload,
    string? Headers,
    DateTimeOffset CreatedAt);
