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
}

/// <summary>Names the outbox message type of a payload class, for example <c>[OutboxMessageType("order.completed")]</c>.</summary>
/// <param name="messageType">The message type.</param>
[AttributeUsage(AttributeTargets.Class | AttributeTargets.Struct, Inherited = false)]
public sealed class OutboxMessageTypeAttribute(string messageType) : Attribute
{
    /// <summary>The message type.</summary>
    public string MessageType { get; } = messageType;
}
