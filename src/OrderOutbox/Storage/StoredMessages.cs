using System.Data.Common;

namespace OrderOutbox.Storage;

/// <summary>Reads the records a store's query returns, one row each, as every store's claim and listing do.</summary>
internal static class StoredMessages
{
    /// <summary>Reads every row of <paramref name="reader"/> with <paramref name="read"/> (the store's column mapping).</summary>
    /// <param name="reader">The open reader; not disposed here.</param>
    /// <param name="read">Maps the current row to a record.</param>
    /// <param name="expected">How many rows the query can return at most (the list's initial capacity, capped at 1,024).</param>
    /// <param name="cancellationToken">Cancels the read.</param>
    /// <returns>The records in the order the query returned them.</returns>
    public static async Task<List<OutboxMessage>> ReadAllAsync(
        DbDataReader reader, Func<DbDataReader, OutboxMessage> read, int expected, CancellationToken cancellationToken)
    {
        var messages = new List<OutboxMessage>(Math.Clamp(expected, 0, 1024));
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            messages.Add(read(reader));
        }

        return messages;
    }

    /// <summary>Reads a claim's records and puts them oldest due first (<see cref="ClaimOrder.OldestDueFirst"/>), the order
    /// they were chosen in: <c>RETURNING</c> and <c>OUTPUT</c> give no order.</summary>
    /// <param name="reader">The open reader of the claim statement; not disposed here.</param>
    /// <param name="read">Maps the current row to a record.</param>
    /// <param name="batchSize">The claim's batch size.</param>
    /// <param name="cancellationToken">Cancels the read.</param>
    /// <returns>The claimed records, oldest due first.</returns>
    public static async Task<List<OutboxMessage>> ReadClaimedAsync(
        DbDataReader reader, Func<DbDataReader, OutboxMessage> read, int batchSize, CancellationToken cancellationToken)
    {
        List<OutboxMessage> claimed = await ReadAllAsync(reader, read, batchSize, cancellationToken).ConfigureAwait(false);
        claimed.Sort(ClaimOrder.OldestDueFirst);
        return claimed;
    }
}
