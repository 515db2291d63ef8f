using System.Collections.Concurrent;
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
/// Turns a payload into a new <see cref="OutboxEntry"/>: checks the input, serialises the payload once with
/// System.Text.Json, assigns a time-ordered message ID and captures the current trace context. Every way of
/// enqueueing shares it — <see cref="IOutboxWriter"/> on a <c>DbTransaction</c>, and the Entity Framework Core
/// enqueue of <c>OrderOutbox.EntityFrameworkCore</c> — so both accept and refuse exactly the same input with the
/// same errors.
/// </summary>
/// <remarks>
/// <para>
/// <c>AddOrderOutbox()</c> registers one instance, bound to the configured <see cref="OutboxOptions"/>, the
/// registered <see cref="TimeProvider"/> and the <c>orderoutbox.messages.enqueued</c> counter. An instance created
/// with the public constructor (outside dependency injection) does not count.
/// </para>
/// <para>Refused input, before any database is touched:</para>
/// <list type="bullet">
/// <item><description>a <see langword="null"/> payload (<see cref="ArgumentNullException"/>, parameter <c>payload</c>);</description></item>
/// <item><description>a message type or aggregate ID that <see cref="OutboxEntryRules"/> refuses: <see langword="null"/>,
/// blank or over <see cref="OutboxLimits.MaxMessageTypeLength"/> characters, an aggregate ID over
/// <see cref="OutboxLimits.MaxAggregateIdLength"/>, a control character (parameters <c>messageType</c>, <c>aggregateId</c>);</description></item>
/// <item><description>with routes configured (<c>UseHttpDispatcher</c> with <c>Http:Routes</c>), a message type that routes to no endpoint (parameter <c>messageType</c>);</description></item>
/// <item><description>a payload System.Text.Json cannot serialise, or whose JSON is larger than <see cref="OutboxOptions.MaxPayloadBytes"/> (parameter <c>payload</c>).</description></item>
/// </list>
/// Thread-safe.
/// </remarks>
public sealed class OutboxEntryFactory
{
    private static readonly ConcurrentDictionary<Type, string> MessageTypes = new();

    private readonly OutboxOptions _options;
    private readonly TimeProvider _timeProvider;
    private readonly OutboxMetrics? _metrics;
    private readonly IOutboxRouter? _router;

    /// <summary>Creates a factory that does not count enqueues (for use outside dependency injection).</summary>
    /// <param name="options">The outbox options (<see cref="OutboxOptions.JsonSerializerOptions"/>, <see cref="OutboxOptions.MaxPayloadBytes"/>).</param>
    /// <param name="timeProvider">The clock of the enqueue time and of the message ID; <see langword="null"/> for <see cref="TimeProvider.System"/>.</param>
    public OutboxEntryFactory(IOptions<OutboxOptions> options, TimeProvider? timeProvider = null)
        : this(options, timeProvider, metrics: null, router: null)
    {
    }

    internal OutboxEntryFactory(IOptions<OutboxOptions> options, TimeProvider? timeProvider, OutboxMetrics? metrics, IOutboxRouter? router)
    {
        ArgumentNullException.ThrowIfNull(options);
        _options = options.Value;
        _timeProvider = timeProvider ?? TimeProvider.System;
        _metrics = metrics;
        _router = router;
    }

    /// <summary>
    /// Creates the record of <paramref name="payload"/>; its message type comes from
    /// <see cref="OutboxMessageTypeAttribute"/> on the payload's runtime type, else from the type's name.
    /// </summary>
    /// <typeparam name="T">The payload type.</typeparam>
    /// <param name="payload">The payload to serialise as JSON.</param>
    /// <returns>The new record, due now.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="payload"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException">The payload cannot be serialised or is too large.</exception>
    public OutboxEntry Create<T>(T payload)
    {
        RequirePayload(payload);
        return Create(MessageTypeOfPayload(payload), payload, aggregateId: null);
    }

    /// <summary>Creates the record of <paramref name="payload"/> with an explicit message type.</summary>
    /// <typeparam name="T">The payload type.</typeparam>
    /// <param name="messageType">The message type, for example <c>order.completed</c> (1 to 200 characters).</param>
    /// <param name="payload">The payload to serialise as JSON.</param>
    /// <param name="aggregateId">The business key (for example the order ID), or <see langword="null"/>.</param>
    /// <returns>The new record, due now.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="payload"/> or <paramref name="messageType"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException">The message type or aggregate ID breaks <see cref="OutboxEntryRules"/>, or the payload cannot be serialised or is too large.</exception>
    public OutboxEntry Create<T>(string messageType, T payload, string? aggregateId = null)
    {
        OutboxEntry entry = Build(messageType, payload, aggregateId, _timeProvider.GetUtcNow(), previousId: null);
        _metrics?.Enqueued(messageType);
        return entry;
    }

    /// <summary>
    /// Creates the records of a bulk enqueue, in input order, with message IDs that increase in that order. Every item
    /// is checked (and serialised) before any record is returned, so one bad item refuses the whole batch.
    /// </summary>
    /// <typeparam name="T">The payload type (<see cref="OutboxJson"/> for payloads that are already JSON).</typeparam>
    /// <param name="items">The items.</param>
    /// <returns>The new records, all due now, in the order of <paramref name="items"/> (empty for no item).</returns>
    /// <exception cref="ArgumentNullException"><paramref name="items"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException">An item breaks a rule of <see cref="Create{T}(string, T, string?)"/>; the message names its index.</exception>
    public IReadOnlyList<OutboxEntry> CreateMany<T>(IEnumerable<OutboxItem<T>> items)
    {
        ArgumentNullException.ThrowIfNull(items);
        var entries = items is ICollection<OutboxItem<T>> collection ? new List<OutboxEntry>(collection.Count) : new List<OutboxEntry>();
        DateTimeOffset now = _timeProvider.GetUtcNow();
        Guid? previous = null;
        int index = 0;
        foreach (OutboxItem<T> item in items)
        {
            OutboxEntry entry;
            try
            {
                entry = Build(item.MessageType, item.Payload, item.AggregateId, now, previous);
            }
            catch (ArgumentException ex)
            {
                throw new ArgumentException(
                    string.Create(CultureInfo.InvariantCulture, $"Item {index} of the batch is refused and nothing was written: {ex.Message}"),
                    nameof(items),
                    ex);
            }

            entries.Add(entry);
            previous = entry.Id;
            index++;
        }

        if (_metrics is not null)
        {
            foreach (OutboxEntry entry in entries)
            {
                _metrics.Enqueued(entry.MessageType);
            }
        }

        return entries;
    }

    /// <summary>Checks the input and builds the record, without counting it.</summary>
    /// <param name="messageType">The message type.</param>
    /// <param name="payload">The payload (an <see cref="OutboxJson"/> is taken as it is).</param>
    /// <param name="aggregateId">The business key, or <see langword="null"/>.</param>
    /// <param name="now">The enqueue time.</param>
    /// <param name="previousId">The ID of the previous record of the same batch, so this one sorts after it; <see langword="null"/> for none.</param>
    private OutboxEntry Build<T>(string messageType, T payload, string? aggregateId, DateTimeOffset now, Guid? previousId)
    {
        RequirePayload(payload);
        OutboxEntryRules.ValidateMessageType(messageType, nameof(messageType));
        OutboxEntryRules.ValidateAggregateId(aggregateId, nameof(aggregateId));
        OutboxRouteCheck.Require(_router, messageType, nameof(messageType));

        string json;
        int utf8Length;
        if (payload is OutboxJson raw)
        {
            json = raw.Json;
            utf8Length = raw.Utf8Length;
        }
        else
        {
            byte[] utf8 = Serialize(payload);
            utf8Length = utf8.Length;
            json = utf8Length <= _options.MaxPayloadBytes ? Encoding.UTF8.GetString(utf8) : string.Empty;
        }

        if (utf8Length > _options.MaxPayloadBytes)
        {
            throw new ArgumentException(
                string.Create(
                    CultureInfo.InvariantCulture,
                    $"The serialised payload of type {payload.GetType().FullName} is {utf8Length:N0} bytes; OutboxOptions.MaxPayloadBytes allows at most {_options.MaxPayloadBytes:N0} bytes (configurable from 1 to 67,108,864)."),
                nameof(payload));
        }

        return new OutboxEntry(
            NextId(now, previousId),
            messageType,
            aggregateId,
            json,
            TraceHeaders.Capture(Activity.Current),
            now);
    }

    /// <summary>
    /// A new message ID of <paramref name="now"/> that sorts after <paramref name="previousId"/>: once a batch has used up a
    /// millisecond's 4,096 IDs the generator borrows the next millisecond, and later IDs of the batch must follow it there.
    /// </summary>
    /// <param name="now">The enqueue time.</param>
    /// <param name="previousId">The previous ID of the batch, or <see langword="null"/>.</param>
    /// <returns>The ID.</returns>
    internal static Guid NextId(DateTimeOffset now, Guid? previousId)
    {
        if (previousId is { } previous)
        {
            DateTimeOffset previousTime = MessageId.GetTimestamp(previous);
            if (previousTime > now)
            {
                now = previousTime;
            }
        }

        Guid id = MessageId.NewId(now);

        // Another thread may have made an ID of a later millisecond meanwhile; the generator then starts a random counter,
        // which can sort before the batch's previous ID. The successor of the previous ID keeps the batch in input order.
        return previousId is { } last && id.CompareTo(last) <= 0 ? Successor(last) : id;
    }

    /// <summary>
    /// The next UUIDv7 after <paramref name="previous"/>: its 62 random bits plus one, carrying into the 12-bit counter and
    /// then into the 48-bit millisecond timestamp; version and variant bits kept.
    /// </summary>
    /// <param name="previous">A UUIDv7.</param>
    /// <returns>The smallest UUIDv7 greater than <paramref name="previous"/>.</returns>
    internal static Guid Successor(Guid previous)
    {
        Span<byte> b = stackalloc byte[16];
        previous.TryWriteBytes(b, bigEndian: true, out _);
        for (int i = 15; i >= 9; i--)
        {
            if (++b[i] != 0)
            {
                return new Guid(b, bigEndian: true);
            }
        }

        int low6 = (b[8] & 0x3F) + 1;
        if (low6 <= 0x3F)
        {
            b[8] = (byte)((b[8] & 0xC0) | low6);
            return new Guid(b, bigEndian: true);
        }

        b[8] = (byte)(b[8] & 0xC0);
        if (++b[7] != 0)
        {
            return new Guid(b, bigEndian: true);
        }

        int counterHigh = (b[6] & 0x0F) + 1;
        if (counterHigh <= 0x0F)
        {
            b[6] = (byte)(0x70 | counterHigh);
            return new Guid(b, bigEndian: true);
        }

        b[6] = 0x70;
        for (int i = 5; i >= 0; i--)
        {
            if (++b[i] != 0)
            {
                break;
            }
        }

        return new Guid(b, bigEndian: true);
    }

    /// <summary>The message type of a payload type: its <see cref="OutboxMessageTypeAttribute"/>, else its name.</summary>
    /// <param name="payloadType">The payload's type.</param>
    /// <returns>The message type.</returns>
    public static string MessageTypeOf(Type payloadType)
    {
        ArgumentNullException.ThrowIfNull(payloadType);
        return MessageTypes.GetOrAdd(
            payloadType,
            static t => t.GetCustomAttribute<OutboxMessageTypeAttribute>(inherit: false)?.MessageType ?? t.Name);
    }

    /// <summary>The message type of a payload without an explicit one; an <see cref="OutboxJson"/> has none and is refused.</summary>
    internal static string MessageTypeOfPayload(object payload)
    {
        if (payload is OutboxJson)
        {
            throw new ArgumentException(
                "A payload that is already JSON (OutboxJson) has no message type of its own: pass one, for example EnqueueJsonAsync(transaction, \"order.completed\", json).",
                nameof(payload));
        }

        return MessageTypeOf(payload.GetType());
    }

    /// <summary>Throws the writer's <see cref="ArgumentNullException"/> for a <see langword="null"/> payload.</summary>
    internal static void RequirePayload<T>([System.Diagnostics.CodeAnalysis.NotNull] T payload)
    {
        if (payload is null)
        {
            throw new ArgumentNullException(nameof(payload), "The outbox payload must not be null.");
        }
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
}
