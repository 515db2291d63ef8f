using System.Collections.Concurrent;
using OrderOutbox.Storage;

namespace OrderOutbox.Tests.Support;

/// <summary>The options of <see cref="InMemoryOutboxStore"/>: the shared ones of every store (schema, table name).</summary>
internal sealed class InMemoryOutboxOptions : OutboxStoreOptions;

/// <summary>
/// The "database" of <see cref="InMemoryOutboxStore"/>: tables by (schema, name). Two stores over the same database and
/// table name address the same rows, as two instances of a real store do; a table exists only once a store's
/// <see cref="IOutboxStore.EnsureSchemaAsync"/> created it.
/// </summary>
internal sealed class InMemoryOutboxDatabase
{
    private readonly ConcurrentDictionary<string, InMemoryOutboxTable> _tables = new(StringComparer.Ordinal);

    /// <summary>Creates the table if it does not exist (idempotent, safe from several stores at once).</summary>
    public InMemoryOutboxTable Ensure(string qualifiedName) => _tables.GetOrAdd(qualifiedName, static _ => new InMemoryOutboxTable());

    /// <summary>The table, or an exception like a database's "no such table".</summary>
    public InMemoryOutboxTable Get(string qualifiedName)
        => _tables.TryGetValue(qualifiedName, out InMemoryOutboxTable? table)
            ? table
            : throw new InvalidOperationException($"no such table: {qualifiedName} (run EnsureSchemaAsync first)");
}

/// <summary>One outbox table: its rows and the lock that makes every statement on it atomic.</summary>
internal sealed class InMemoryOutboxTable
{
    public object Gate { get; } = new();

    public Dictionary<Guid, InMemoryOutboxRow> Rows { get; } = [];
}

/// <summary>One row of an in-memory outbox table, with the outcomes written to it (for tests).</summary>
internal sealed class InMemoryOutboxRow
{
    public Guid Id { get; init; }
    public required string MessageType { get; init; }
    public string? AggregateId { get; init; }
    public required string Payload { get; init; }
    public string? Headers { get; init; }
    public OutboxStatus Status { get; set; }
    public int RetryCount { get; set; }
    public DateTimeOffset CreatedAt { get; init; }
    public DateTimeOffset NextAttemptAt { get; set; }
    public DateTimeOffset? LastAttemptAt { get; set; }
    public DateTimeOffset? SentAt { get; set; }
    public string? LastError { get; set; }
    public string? LockedBy { get; set; }
    public DateTimeOffset? LockedUntil { get; set; }
    public DateTimeOffset? RequeuedAt { get; set; }
    public List<OutboxOutcome> History { get; } = [];

    public bool IsDue(DateTimeOffset now)
        => Status is OutboxStatus.Pending or OutboxStatus.Failed
           && NextAttemptAt <= now
           && (LockedUntil is null || LockedUntil <= now);

    public static InMemoryOutboxRow From(OutboxEntry entry) => new()
    {
        Id = entry.Id,
        MessageType = entry.MessageType,
        AggregateId = entry.AggregateId,
        Payload = entry.Payload,
        Headers = StorableText.Escape(entry.Headers),
        Status = OutboxStatus.Pending,
        CreatedAt = entry.CreatedAt,
        NextAttemptAt = entry.CreatedAt,
    };

    public OutboxMessage ToMessage() => new()
    {
        Id = Id,
        MessageType = MessageType,
        AggregateId = AggregateId,
        Payload = Payload,
        Headers = Headers,
        Status = Status,
        RetryCount = RetryCount,
        CreatedAt = CreatedAt,
        NextAttemptAt = NextAttemptAt,
        LastAttemptAt = LastAttemptAt,
        SentAt = SentAt,
        LastError = LastError,
        LeaseOwner = LockedBy,
        LeaseExpiresAt = LockedUntil,
        RequeuedAt = RequeuedAt,
    };
}
