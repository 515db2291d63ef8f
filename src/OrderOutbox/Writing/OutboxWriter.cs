using System.Data;
using System.Data.Common;
using Microsoft.Extensions.Options;
using OrderOutbox.Diagnostics;
using OrderOutbox.Hosting;
using OrderOutbox.Storage;

namespace OrderOutbox.Writing;

/// <summary>
/// The default <see cref="IOutboxWriter"/>: checks the input and the transaction, lets <see cref="OutboxEntryFactory"/>
/// serialise once and capture the trace context, and hands the record to <see cref="IOutboxStore.EnqueueAsync"/> on
/// the caller's transaction.
/// </summary>
internal sealed class OutboxWriter : IOutboxWriter
{
    private readonly IOutboxStore _store;
    private readonly OutboxEntryFactory _entries;
    private readonly IOutboxRouter? _router;
    private readonly OutboxWakeUp? _localDispatcher;

    public OutboxWriter(
        IOutboxStore store, IOptions<OutboxOptions> options, TimeProvider timeProvider, OutboxMetrics metrics, IOutboxRouter? router = null, OutboxWakeUp? wakeUp = null)
    {
        _store = store;
        _router = router;
        _localDispatcher = options.Value.RunDispatcher ? wakeUp : null;
        _entries = new OutboxEntryFactory(options, timeProvider, metrics, router);
    }

    /// <inheritdoc />
    public Task<Guid> EnqueueAsync<T>(DbTransaction transaction, T payload, CancellationToken cancellationToken = default)
    {
        OutboxEntryFactory.RequirePayload(payload);
        return EnqueueAsync(transaction, OutboxEntryFactory.MessageTypeOfPayload(payload), payload, aggregateId: null, cancellationToken);
    }

    /// <inheritdoc />
    public async Task<Guid> EnqueueAsync<T>(DbTransaction transaction, string messageType, T payload, string? aggregateId = null, CancellationToken cancellationToken = default)
    {
        // The payload and the keys are named before the transaction, as they always were; the factory checks them too.
        OutboxEntryFactory.RequirePayload(payload);
        OutboxEntryRules.ValidateMessageType(messageType, nameof(messageType));
        OutboxEntryRules.ValidateAggregateId(aggregateId, nameof(aggregateId));
        OutboxRouteCheck.Require(_router, messageType, nameof(messageType));
        ValidateTransaction(transaction);

        OutboxEntry entry = _entries.Create(messageType, payload, aggregateId);
        await _store.EnqueueAsync(transaction, entry, cancellationToken).ConfigureAwait(false);
        SignalEnqueued();
        return entry.Id;
    }

    /// <inheritdoc />
    public async Task<IReadOnlyList<Guid>> EnqueueManyAsync<T>(DbTransaction transaction, IEnumerable<OutboxItem<T>> items, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(items);
        ValidateTransaction(transaction);

        // Every item is checked and serialised here, before the store sees any of them: nothing is half-written.
        IReadOnlyList<OutboxEntry> entries = _entries.CreateMany(items);
        if (entries.Count == 0)
        {
            return Array.Empty<Guid>();
        }

        await _store.EnqueueManyAsync(transaction, entries, cancellationToken).ConfigureAwait(false);
        var ids = new Guid[entries.Count];
        for (int i = 0; i < ids.Length; i++)
        {
            ids[i] = entries[i].Id;
        }

        return ids;
    }

    /// <inheritdoc />
    public Task<Guid> EnqueueJsonAsync(DbTransaction transaction, string messageType, ReadOnlyMemory<byte> utf8Json, string? aggregateId = null, CancellationToken cancellationToken = default)
        => EnqueueAsync(transaction, messageType, OutboxJson.FromUtf8(utf8Json, nameof(utf8Json)), aggregateId, cancellationToken);

    /// <inheritdoc />
    public Task<Guid> EnqueueJsonAsync(DbTransaction transaction, string messageType, string json, string? aggregateId = null, CancellationToken cancellationToken = default)
        => EnqueueAsync(transaction, messageType, OutboxJson.FromString(json, nameof(json)), aggregateId, cancellationToken);

    /// <summary>
    /// Tells this process's dispatcher (when it runs here) that a record was enqueued, so it claims shortly after the
    /// caller's commit instead of at the next notification or poll. Every enqueue path calls it once per call.
    /// </summary>
    private void SignalEnqueued() => _localDispatcher?.RecordEnqueued();

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
}
