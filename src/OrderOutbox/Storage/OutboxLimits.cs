namespace OrderOutbox.Storage;

/// <summary>
/// The limits every store enforces the same way, so an application that moves from one database to another sees the
/// same rules: how long a message type and an aggregate ID may be, and how many rows one purge statement deletes.
/// </summary>
public static class OutboxLimits
{
    /// <summary>The longest message type, in UTF-16 characters: 200 (SQL Server's <c>nvarchar(200)</c> column).</summary>
    public const int MaxMessageTypeLength = 200;

    /// <summary>
    /// The longest aggregate ID, in UTF-16 characters: 450 (SQL Server's <c>nvarchar(450)</c> column, the widest it can
    /// index). PostgreSQL and SQLite refuse longer ones too, so the rule does not change with the database.
    /// </summary>
    public const int MaxAggregateIdLength = 450;

    /// <summary>
    /// The most rows one purge statement deletes: 2,000. SQL Server escalates to a table lock — which blocks claims and
    /// business inserts — when one statement takes 5,000 locks on a table or index; a deleted row can take a row lock
    /// and a page lock per index, so 2,000 rows stay below that even for wide rows.
    /// </summary>
    public const int MaxPurgeBatchSize = 2_000;

    /// <summary>
    /// Throws unless <paramref name="batchSize"/> is 1 to <see cref="MaxPurgeBatchSize"/> (for store implementers of
    /// <see cref="IOutboxAdmin.PurgeSentAsync"/>).
    /// </summary>
    /// <param name="batchSize">The requested rows per purge statement.</param>
    /// <param name="paramName">The caller's parameter name.</param>
    /// <exception cref="ArgumentOutOfRangeException">The batch size is out of range; the message names the range.</exception>
    public static void ThrowIfPurgeBatchSizeOutOfRange(int batchSize, string paramName)
    {
        if (batchSize is < 1 or > MaxPurgeBatchSize)
        {
            throw new ArgumentOutOfRangeException(
                paramName,
                batchSize,
                $"The purge batch size must be 1 to {MaxPurgeBatchSize:N0} rows per statement (OutboxLimits.MaxPurgeBatchSize, below SQL Server's lock-escalation threshold); it was {batchSize:N0}.");
        }
    }
}
