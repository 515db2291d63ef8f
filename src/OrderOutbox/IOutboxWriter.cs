using System.Data.Common;

namespace OrderOutbox;

/// <summary>
/// Writes outbox records on the caller's transaction, so a record commits or rolls back with the business change:
/// both or neither.
/// </summary>
/// <remarks>
/// The payload is serialised once with System.Text.Json (<see cref="OutboxOptions.JsonSerializerOptions"/>);
/// those exact UTF-8 bytes are stored and later sent. The current trace context (<c>traceparent</c>,
/// <c>tracestate</c>) is captured into the record's headers. Bad input is refused before the database is
/// touched: a null payload, an empty message type, a message type over 200 or an aggregate ID over 450 characters or
/// either with a control character (<see cref="Storage.OutboxEntryRules"/>, the same in every store), a payload over
/// <see cref="OutboxOptions.MaxPayloadBytes"/>, a transaction with no open connection.
/// </remarks>
public interface IOutboxWriter
{
    /// <summary>Enqueues <paramref name="payload"/> with an explicit message type.</summary>
    /// <typeparam name="T">The payload type.</typeparam>
    /// <param name="transaction">The caller's open transaction.</param>
    /// <param name="messageType">The message type, for example <c>order.completed</c> (1 to 200 characters).</param>
    /// <param name="payload">The payload to serialise as JSON.</param>
    /// <param name="aggregateId">The business key (for example the order ID, at most 450 characters), or <see langword="null"/>.</param>
    /// <param name="cancellationToken">Cancels the insert.</param>
    /// <returns>The new record's message ID.</returns>
    Task<Guid> EnqueueAsync<T>(DbTransaction transaction, string messageType, T payload, string? aggregateId = null, CancellationToken cancellationToken = default);

    /// <summary>
    /// Enqueues <paramref name="payload"/>; the message type comes from <see cref="OutboxMessageTypeAttribute"/>
    /// on <typeparamref name="T"/>, else from the type's name.
    /// </summary>
    /// <typeparam name="T">The payload type.</typeparam>
    /// <param name="transaction">The caller's open transaction.</param>
    /// <param name="payload">The payload to serialise as JSON.</param>
    /// <param name="cancellationToken">Cancels the insert.</param>
    /// <returns>The new record's message ID.</returns>
    Task<Guid> EnqueueAsync<T>(DbTransaction transaction, T payload, CancellationToken cancellationToken = default);

    /// <summary>
    /// Enqueues many records on the caller's transaction in as few round trips as the store allows (one on PostgreSQL),
    /// for batch jobs and backfills. Each item is what one <see cref="EnqueueAsync{T}(DbTransaction, string, T, string?, CancellationToken)"/>
    /// takes; for payloads that are already JSON use <see cref="OutboxJson"/> as <typeparamref name="T"/>.
    /// </summary>
    /// <remarks>
    /// Every item is checked and serialised before anything is written, with the rules of the single enqueue: one bad
    /// item refuses the whole call with an <see cref="ArgumentException"/> (parameter <c>items</c>) that names its index,
    /// and nothing is written. The records commit or roll back with the transaction, all together. The message IDs are
    /// time-ordered (UUIDv7) and increase in input order; all records share one enqueue time. No item: nothing is sent to
    /// the database. With PostgreSQL notifications on, one call sends one wake-up, as one single enqueue does.
    /// A store that does not implement <see cref="IOutboxStore.EnqueueManyAsync"/> itself inserts the records one by one.
    /// </remarks>
    /// <typeparam name="T">The payload type.</typeparam>
    /// <param name="transaction">The caller's open transaction.</param>
    /// <param name="items">The records to enqueue, in order.</param>
    /// <param name="cancellationToken">Cancels the insert.</param>
    /// <returns>The new records' message IDs, in the order of <paramref name="items"/>.</returns>
    Task<IReadOnlyList<Guid>> EnqueueManyAsync<T>(DbTransaction transaction, IEnumerable<OutboxItem<T>> items, CancellationToken cancellationToken = default);

    /// <summary>
    /// Enqueues a payload that is already UTF-8 JSON: it is checked as JSON (without building a document) and then stored
    /// and sent byte for byte as given, with no serialisation. See <see cref="OutboxJson"/> for what is accepted.
    /// </summary>
    /// <param name="transaction">The caller's open transaction.</param>
    /// <param name="messageType">The message type, for example <c>order.completed</c> (1 to 200 characters).</param>
    /// <param name="utf8Json">The UTF-8 bytes of one JSON value (at most <see cref="OutboxOptions.MaxPayloadBytes"/>).</param>
    /// <param name="aggregateId">The business key (for example the order ID, at most 450 characters), or <see langword="null"/>.</param>
    /// <param name="cancellationToken">Cancels the insert.</param>
    /// <returns>The new record's message ID.</returns>
    /// <exception cref="ArgumentException">The bytes are not valid UTF-8 JSON (parameter <c>utf8Json</c>; the message gives the position), or another rule of the single enqueue is broken.</exception>
    Task<Guid> EnqueueJsonAsync(DbTransaction transaction, string messageType, ReadOnlyMemory<byte> utf8Json, string? aggregateId = null, CancellationToken cancellationToken = default)
        => EnqueueAsync(transaction, messageType, OutboxJson.FromUtf8(utf8Json, nameof(utf8Json)), aggregateId, cancellationToken);

    /// <summary>
    /// Enqueues a payload that is already JSON text: it is checked as JSON (without building a document) and then stored
    /// and sent as given (its UTF-8 encoding), with no serialisation. See <see cref="OutboxJson"/> for what is accepted.
    /// </summary>
    /// <param name="transaction">The caller's open transaction.</param>
    /// <param name="messageType">The message type, for example <c>order.completed</c> (1 to 200 characters).</param>
    /// <param name="json">The text of one JSON value (at most <see cref="OutboxOptions.MaxPayloadBytes"/> in UTF-8).</param>
    /// <param name="aggregateId">The business key (for example the order ID, at most 450 characters), or <see langword="null"/>.</param>
    /// <param name="cancellationToken">Cancels the insert.</param>
    /// <returns>The new record's message ID.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="json"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException">The text is not valid JSON (parameter <c>json</c>; the message gives the position), or another rule of the single enqueue is broken.</exception>
    Task<Guid> EnqueueJsonAsync(DbTransaction transaction, string messageType, string json, string? aggregateId = null, CancellationToken cancellationToken = default)
        => EnqueueAsync(transaction, messageType, OutboxJson.FromString(json, nameof(json)), aggregateId, cancellationToken);
}

/// <summary>Names the outbox message type of a payload class, for example <c>[OutboxMessageType("order.completed")]</c>.</summary>
/// <param name="messageType">The message type.</param>
[AttributeUsage(AttributeTargets.Class | AttributeTargets.Struct, Inherited = false)]
public sealed class OutboxMessageTypeAttribute(string messageType) : Attribute
{
    /// <summary>The message type.</summary>
    public string MessageType { get; } = messageType;
}
