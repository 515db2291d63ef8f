namespace OrderOutbox.EntityFrameworkCore;

/// <summary>
/// The outbox row as Entity Framework Core inserts it: the nine columns a new record sets, named and encoded as the
/// Dapper stores write them. The dispatcher side (claims, outcomes, admin) stays with the Dapper store, so the other
/// columns (<c>last_attempt_at</c>, <c>sent_at</c>, <c>last_error</c>, <c>locked_until</c>, <c>locked_by</c>) are not
/// mapped and keep their database defaults (<see langword="null"/>).
/// </summary>
internal sealed class OutboxRecord
{
    /// <summary>The status text of a new record.</summary>
    public const string PendingStatus = "PENDING";

    public Guid Id { get; set; }

    public string MessageType { get; set; } = null!;

    public string? AggregateId { get; set; }

    public string Payload { get; set; } = null!;

    public string? Headers { get; set; }

    public string Status { get; set; } = PendingStatus;

    public int RetryCount { get; set; }

    public DateTimeOffset NextAttemptAt { get; set; }

    public DateTimeOffset CreatedAt { get; set; }

    /// <summary>The row of a new, due-now record.</summary>
    public static OutboxRecord From(OutboxEntry entry)
    {
        DateTimeOffset createdAt = entry.CreatedAt.ToUniversalTime();
        return new OutboxRecord
        {
            Id = entry.Id,
            MessageType = entry.MessageType,
            AggregateId = entry.AggregateId,
            Payload = entry.Payload,
            Headers = entry.Headers,
            Status = PendingStatus,
            RetryCount = 0,
            NextAttemptAt = createdAt,
            CreatedAt = createdAt,
        };
    }
}
