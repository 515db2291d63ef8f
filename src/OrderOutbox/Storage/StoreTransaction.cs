using System.Data;
using System.Data.Common;

namespace OrderOutbox.Storage;

/// <summary>Checks the caller's transaction before a store enlists an enqueue in it (for store implementers).</summary>
public static class StoreTransaction
{
    /// <summary>
    /// Returns <paramref name="transaction"/> as the store's provider type if it is one and its connection is open;
    /// otherwise throws an <see cref="ArgumentException"/> that says which provider the store needs, or that the
    /// transaction has no open connection.
    /// </summary>
    /// <typeparam name="TTransaction">The provider's transaction type, for example <c>NpgsqlTransaction</c>.</typeparam>
    /// <param name="transaction">The caller's transaction.</param>
    /// <param name="storeName">The store's name for the message, for example <c>PostgreSQL</c>.</param>
    /// <returns>The transaction, typed.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="transaction"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException">The transaction is of another provider, or has no open connection.</exception>
    public static TTransaction Require<TTransaction>(DbTransaction transaction, string storeName)
        where TTransaction : DbTransaction
    {
        ArgumentNullException.ThrowIfNull(transaction);
        if (transaction is not TTransaction typed)
        {
            throw new ArgumentException(
                $"The {storeName} outbox store needs a {typeof(TTransaction).FullName}, but was given a {transaction.GetType().FullName}. " +
                "Begin the transaction on a connection of that provider to the database that holds the outbox table.",
                nameof(transaction));
        }

        DbConnection? connection;
        try
        {
            connection = typed.Connection;
        }
        catch (ObjectDisposedException)
        {
            connection = null;
        }

        if (connection is null || connection.State != ConnectionState.Open)
        {
            throw new ArgumentException(
                "The transaction has no open connection: it was committed, rolled back or disposed, or its connection was closed.",
                nameof(transaction));
        }

        return typed;
    }

    /// <summary>
    /// The checks every store's enqueue starts with: <paramref name="entry"/> is valid (<see cref="OutboxEntryRules"/>) and
    /// <paramref name="transaction"/> is an open one of the store's provider (<see cref="Require{TTransaction}"/>).
    /// </summary>
    internal static TTransaction RequireForEnqueue<TTransaction>(DbTransaction transaction, OutboxEntry entry, string storeName)
        where TTransaction : DbTransaction
    {
        ArgumentNullException.ThrowIfNull(transaction);
        ArgumentNullException.ThrowIfNull(entry);
        OutboxEntryRules.Validate(entry, nameof(entry));
        return Require<TTransaction>(transaction, storeName);
    }
}
