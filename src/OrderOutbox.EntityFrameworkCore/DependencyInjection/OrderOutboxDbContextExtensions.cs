using OrderOutbox.EntityFrameworkCore;

namespace Microsoft.EntityFrameworkCore;

/// <summary>Reaches a context's outbox.</summary>
public static class OrderOutboxDbContextExtensions
{
    /// <summary>
    /// The outbox of <paramref name="context"/>: <c>context.Outbox().Enqueue("order.completed", payload, orderId)</c>
    /// adds a record that the next <c>SaveChanges</c> writes in the same transaction as your other changes.
    /// </summary>
    /// <param name="context">A context whose model calls <c>AddOrderOutbox()</c> and whose options call <c>UseOrderOutbox()</c>.</param>
    /// <returns>The context's outbox.</returns>
    public static DbContextOutbox Outbox(this DbContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        return new DbContextOutbox(context);
    }
}
