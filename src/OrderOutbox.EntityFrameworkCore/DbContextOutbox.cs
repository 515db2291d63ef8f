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
