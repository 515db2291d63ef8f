using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.Extensions.Options;
using OrderOutbox.Writing;

namespace OrderOutbox.EntityFrameworkCore;

/// <summary>
/// The outbox of one <see cref="DbContext"/>, from <c>dbContext.Outbox()</c>. <see cref="Enqueue{T}(string, T, string?)"/>
/// adds the record to the change tracker; the next <c>SaveChanges</c> writes it together with your other changes, in one
/// transaction — EF Core's own, or yours from <c>Database.BeginTransaction</c>. Nothing is written before then, and
/// nothing at all if the changes are never saved or the transaction rolls back.
/// </summary>
/// <remarks>
/// Input is checked exactly as <see cref="IOutboxWriter"/> checks it, with the same exceptions: a
/// <see langword="null"/> payload, a blank or over-long message type, a payload System.Text.Json cannot serialise or
/// one over <see cref="OutboxOptions.MaxPayloadBytes"/>. The payload is serialised once with
/// <see cref="OutboxOptions.JsonSerializerOptions"/> and the current trace context is captured. Options, clock and
/// the <c>orderoutbox.messages.enqueued</c> counter come from <c>AddOrderOutbox()</c> in the application's services
/// when the context was created by them (<c>AddDbContext</c>); otherwise the defaults of <see cref="OutboxOptions"/>
/// and the system clock apply, and nothing is counted.
/// </remarks>
public sealed class DbContextOutbox
{
    private static readonly OutboxEntryFactory DefaultEntries = new(Options.Create(new OutboxOptions()));

    private readonly DbContext _context;

    internal DbContextOutbox(DbContext context) => _context = context;

    /// <summary>
    /// Adds a record of <paramref name="payload"/> to the change tracker; the message type comes from
    /// <see cref="OutboxMessageTypeAttribute"/> on the payload's type, else from the type's name.
    /// </summary>
    /// <typeparam name="T">The payload type.</typeparam>
    /// <param name="payload">The payload to serialise as JSON.</param>
    /// <returns>The new record's message ID (a time-ordered UUID, the receiver's <c>Idempotency-Key</c>).</returns>
    /// <exception cref="ArgumentNullException"><paramref name="payload"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException">The payload cannot be serialised or is too large.</exception>
    /// <exception cref="InvalidOperationException">The context's model or options lack <c>AddOrderOutbox()</c> / <c>UseOrderOutbox()</c>.</exception>
    public Guid Enqueue<T>(T payload)
    {
        OutboxEntryFactory entries = Prepare();
        return Track(entries.Create(payload));
    }

    /// <summary>Adds a record of <paramref name="payload"/> with an explicit message type to the change tracker.</summary>
    /// <typeparam name="T">The payload type.</typeparam>
    /// <param name="messageType">The message type, for example <c>order.completed</c> (1 to 200 characters).</param>
    /// <param name="payload">The payload to serialise as JSON.</param>
    /// <param name="aggregateId">The business key (for example the order ID), or <see langword="null"/>.</param>
    /// <returns>The new record's message ID (a time-ordered UUID, the receiver's <c>Idempotency-Key</c>).</returns>
    /// <exception cref="ArgumentNullException"><paramref name="payload"/> or <paramref name="messageType"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException">The message type is blank or too long, or the payload cannot be serialised or is too large.</exception>
    /// <exception cref="InvalidOperationException">The context's model or options lack <c>AddOrderOutbox()</c> / <c>UseOrderOutbox()</c>.</exception>
    public Guid Enqueue<T>(string messageType, T payload, string? aggregateId = null)
    {
        OutboxEntryFactory entries = Prepare();
        return Track(entries.Create(messageType, payload, aggregateId));
    }

    /// <summary>
    /// Adds the records of <paramref name="items"/> to the change tracker, in order; the next <c>SaveChanges</c> writes
    /// them with your other changes (EF Core batches the inserts into few round trips). For payloads that are already
    /// JSON use <see cref="OutboxJson"/> as <typeparamref name="T"/>.
    /// </summary>
    /// <remarks>
    /// Every item is checked and serialised before any is added: one bad item adds none and throws an
    /// <see cref="ArgumentException"/> (parameter <c>items</c>) that names its index. The message IDs increase in input order.
    /// </remarks>
    /// <typeparam name="T">The payload type.</typeparam>
    /// <param name="items">The records to add.</param>
    /// <returns>The new records' message IDs, in the order of <paramref name="items"/>.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="items"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException">An item breaks a rule of <see cref="Enqueue{T}(string, T, string?)"/>; the message names its index.</exception>
    /// <exception cref="InvalidOperationException">The context's model or options lack <c>AddOrderOutbox()</c> / <c>UseOrderOutbox()</c>.</exception>
    public IReadOnlyList<Guid> EnqueueMany<T>(IEnumerable<OutboxItem<T>> items)
    {
        ArgumentNullException.ThrowIfNull(items);
        OutboxEntryFactory entries = Prepare();
        IReadOnlyList<OutboxEntry> created = entries.CreateMany(items);
        var ids = new Guid[created.Count];
        DbSet<OutboxRecord> set = _context.Set<OutboxRecord>();
        for (int i = 0; i < ids.Length; i++)
        {
            set.Add(OutboxRecord.From(created[i]));
            ids[i] = created[i].Id;
        }

        return ids;
    }

    /// <summary>
    /// Adds a record whose payload is already UTF-8 JSON to the change tracker; it is checked as JSON (no document is
    /// built) and stored and sent byte for byte as given. See <see cref="OutboxJson"/> for what is accepted.
    /// </summary>
    /// <param name="messageType">The message type, for example <c>order.completed</c> (1 to 200 characters).</param>
    /// <param name="utf8Json">The UTF-8 bytes of one JSON value.</param>
    /// <param name="aggregateId">The business key (for example the order ID), or <see langword="null"/>.</param>
    /// <returns>The new record's message ID.</returns>
    /// <exception cref="ArgumentException">The bytes are not valid UTF-8 JSON (the message gives the position), the message type is blank or too long, or the payload is too large.</exception>
    /// <exception cref="InvalidOperationException">The context's model or options lack <c>AddOrderOutbox()</c> / <c>UseOrderOutbox()</c>.</exception>
    public Guid EnqueueJson(string messageType, ReadOnlyMemory<byte> utf8Json, string? aggregateId = null)
        => Enqueue(messageType, OutboxJson.FromUtf8(utf8Json), aggregateId);

    /// <summary>
    /// Adds a record whose payload is already JSON text to the change tracker; it is checked as JSON (no document is
    /// built) and stored and sent as given. See <see cref="OutboxJson"/> for what is accepted.
    /// </summary>
    /// <param name="messageType">The message type, for example <c>order.completed</c> (1 to 200 characters).</param>
    /// <param name="json">The text of one JSON value.</param>
    /// <param name="aggregateId">The business key (for example the order ID), or <see langword="null"/>.</param>
    /// <returns>The new record's message ID.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="json"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException">The text is not valid JSON (the message gives the position), the message type is blank or too long, or the payload is too large.</exception>
    /// <exception cref="InvalidOperationException">The context's model or options lack <c>AddOrderOutbox()</c> / <c>UseOrderOutbox()</c>.</exception>
    public Guid EnqueueJson(string messageType, string json, string? aggregateId = null)
        => Enqueue(messageType, OutboxJson.FromString(json), aggregateId);

    private Guid Track(OutboxEntry entry)
    {
        _context.Set<OutboxRecord>().Add(OutboxRecord.From(entry));
        return entry.Id;
    }

    /// <summary>Checks the context is set up for the outbox and finds the entry factory of its application.</summary>
    private OutboxEntryFactory Prepare()
    {
        if (_context.Model.FindEntityType(typeof(OutboxRecord)) is null)
        {
            throw new InvalidOperationException(
                $"{_context.GetType().Name} has no outbox table in its model: call modelBuilder.AddOrderOutbox() in its OnModelCreating.");
        }

        IDbContextOptions options = _context.GetService<IDbContextOptions>();
        if (options.FindExtension<OrderOutboxOptionsExtension>() is null)
        {
            throw new InvalidOperationException(
                $"{_context.GetType().Name} is not configured for the outbox: call UseOrderOutbox() on its DbContextOptionsBuilder " +
                "(for example AddDbContext<T>(o => o.UseNpgsql(connectionString).UseOrderOutbox())), so the records are written in the store's encoding.");
        }

        IServiceProvider? applicationServices = options.FindExtension<CoreOptionsExtension>()?.ApplicationServiceProvider;
        return applicationServices?.GetService(typeof(OutboxEntryFactory)) as OutboxEntryFactory ?? DefaultEntries;
    }
}
