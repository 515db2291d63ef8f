using System.Collections.Concurrent;
using System.Data;
using System.Data.Common;
using System.Diagnostics;
using System.Globalization;
using System.Reflection;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Options;
using OrderOutbox.Diagnostics;
using OrderOutbox.Storage;

namespace OrderOutbox.Writing;

/// <summary>
/// The default <see cref="IOutboxWriter"/>: validates, serialises once, captures the trace context and hands the
/// record to <see cref="IOutboxStore.EnqueueAsync"/> on the caller's transaction.
/// </summary>
internal sealed class OutboxWriter : IOutboxWriter
{
    private static readonly ConcurrentDictionary<Type, string> MessageTypes = new();

    private readonly IOutboxStore _store;
    private readonly TimeProvider _timeProvider;
    private readonly OutboxMetrics _metrics;
    private readonly OutboxOptions _options;

    public OutboxWriter(IOutboxStore store, IOptions<OutboxOptions> options, TimeProvider timeProvider, OutboxMetrics metrics)
    {
        _store = store;
        _options = options.Value;
        _timeProvider = timeProvider;
        _metrics = metrics;
    }

    /// <inheritdoc />
    public Task<Guid> EnqueueAsync<T>(DbTransaction transaction, T payload, CancellationToken cancellationToken = default)
    {
        if (payload is null)
        {
            throw new ArgumentNullException(nameof(payload), "The outbox payload must not be null.");
        }

        return EnqueueAsync(transaction, GetMessageType(payload.GetType()), payload, aggregateId: null, cancellationToken);
    }

    /// <inheritdoc />
    public async Task<Guid> EnqueueAsync<T>(DbTransaction transaction, string messageType, T payload, string? aggregateId = null, CancellationToken cancellationToken = default)
    {
        if (payload is null)
        {
            throw new ArgumentNullException(nameof(payload), "The outbox payload must not be null.");
        }

        OutboxEntryRules.ValidateMessageType(messageType, nameof(messageType));
        OutboxEntryRules.ValidateAggregateId(aggregateId, nameof(aggregateId));
        ValidateTransaction(transaction);

        byte[] utf8 = Serialize(payload);
        if (utf8.Length > _options.MaxPayloadBytes)
        {
            throw new ArgumentException(
                string.Create(
                    CultureInfo.InvariantCulture,
                    $"The serialised payload of type {payload.GetType().FullName} is {utf8.Length:N0} bytes; OutboxOptions.MaxPayloadBytes allows at most {_options.MaxPayloadBytes:N0} bytes (configurable from 1 to 67,108,864)."),
                nameof(payload));
        }

        DateTimeOffset now = _timeProvider.GetUtcNow();
        var entry = new OutboxEntry(
            MessageId.NewId(now),
            messageType,
            aggregateId,
            Encoding.UTF8.GetString(utf8),
            TraceHeaders.Capture(Activity.Current),
            now);

        await _store.EnqueueAsync(transaction, entry, cancellationToken).ConfigureAwait(false);
        _metrics.Enqueued(messageType);
        return entry.Id;
    }

    private byte[] Serialize(object payload)
    {
        Type type = payload.GetType();
        try
        {
            return JsonSerializer.SerializeToUtf8Bytes(payload, type, _options.JsonSerializerOptions);
        }
        catch (Exception ex) when (ex is JsonException or NotSupportedException or InvalidOperationException or ArgumentException)
        {
            throw new ArgumentException(
                $"The payload of type {type.FullName} cannot be serialised to JSON with OutboxOptions.JsonSerializerOptions: {ex.Message}",
                nameof(payload),
                ex);
        }
    }

    private static void ValidateTransaction(DbTransaction transaction)
    {
        ArgumentNullException.ThrowIfNull(transaction);
        DbConnection? connection = transaction.Connection;
        if (connection is null)
        {
            throw new ArgumentException(
                "The transaction has no connection: it was already committed, rolled back or disposed. Enqueue inside the open business transaction.",
                nameof(transaction));
        }

        if (connection.State != ConnectionState.Open)
        {
            throw new ArgumentException(
                $"The transaction's connection is {connection.State}; it must be Open. Enqueue inside the open business transaction.",
                nameof(transaction));
        }
    }

    private static string GetMessageType(Type type)
        => MessageTypes.GetOrAdd(
            type,
            static t => t.GetCustomAttribute<OutboxMessageTypeAttribute>(inherit: false)?.MessageType ?? t.Name);
}
