namespace OrderOutbox;

/// <summary>
/// One record of a bulk enqueue (<see cref="IOutboxWriter.EnqueueManyAsync{T}"/>): a message type, a payload and an
/// optional aggregate ID, exactly what one <see cref="IOutboxWriter.EnqueueAsync{T}(System.Data.Common.DbTransaction, string, T, string?, CancellationToken)"/>
/// takes.
/// </summary>
/// <remarks>
/// For a payload that is already serialised JSON, use <see cref="OutboxJson"/> as <typeparamref name="T"/>: it is stored
/// and sent exactly as given.
/// </remarks>
/// <typeparam name="T">The payload type.</typeparam>
public readonly struct OutboxItem<T>
{
    /// <summary>Creates an item.</summary>
    /// <param name="messageType">The message type, for example <c>order.completed</c> (1 to 200 characters).</param>
    /// <param name="payload">The payload to serialise as JSON (or an <see cref="OutboxJson"/> stored as it is).</param>
    /// <param name="aggregateId">The business key (for example the order ID, at most 450 characters), or <see langword="null"/>.</param>
    public OutboxItem(string messageType, T payload, string? aggregateId = null)
    {
        MessageType = messageType;
        Payload = payload;
        AggregateId = aggregateId;
    }

    /// <summary>The message type, for example <c>order.completed</c>.</summary>
    public string MessageType { get; }

    /// <summary>The payload.</summary>
    public T Payload { get; }

    /// <summary>The business key, or <see langword="null"/>.</summary>
    public string? AggregateId { get; }
}
