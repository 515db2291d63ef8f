namespace OrderOutbox;

/// <summary>
/// The state of an outbox record. Stores persist it as readable upper-case text
/// (<c>PENDING</c>, <c>SENT</c>, <c>FAILED</c>, <c>DEAD_LETTER</c>); see <see cref="OutboxStatusText"/>.
/// </summary>
public enum OutboxStatus
{
    /// <summary>Written by the business transaction and not yet attempted (stored as <c>PENDING</c>).</summary>
    Pending = 0,

    /// <summary>Delivered; a final state (stored as <c>SENT</c>).</summary>
    Sent = 1,

    /// <summary>The last attempt failed with a transient error; the record is retried when due (stored as <c>FAILED</c>).</summary>
    Failed = 2,

    /// <summary>
    /// Retries are exhausted or the error was permanent; the record waits for manual handling
    /// (requeue or inspection) and is never retried automatically (stored as <c>DEAD_LETTER</c>).
    /// </summary>
    DeadLetter = 3,
}

/// <summary>Converts <see cref="OutboxStatus"/> to and from the text stored in the <c>status</c> column.</summary>
public static class OutboxStatusText
{
    /// <summary>The stored text of <see cref="OutboxStatus.Pending"/>.</summary>
    public const string Pending = "PENDING";

    /// <summary>The stored text of <see cref="OutboxStatus.Sent"/>.</summary>
    public const string Sent = "SENT";

    /// <summary>The stored text of <see cref="OutboxStatus.Failed"/>.</summary>
    public const string Failed = "FAILED";

    /// <summary>The stored text of <see cref="OutboxStatus.DeadLetter"/>.</summary>
    public const string DeadLetter = "DEAD_LETTER";

    /// <summary>Returns the stored text of <paramref name="status"/>.</summary>
    /// <param name="status">The status.</param>
    /// <returns>One of <c>PENDING</c>, <c>SENT</c>, <c>FAILED</c>, <c>DEAD_LETTER</c>.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="status"/> is not a defined value.</exception>
    public static string ToText(OutboxStatus status) => status switch
    {
        OutboxStatus.Pending => Pending,
        OutboxStatus.Sent => Sent,
        OutboxStatus.Failed => Failed,
        OutboxStatus.DeadLetter => DeadLetter,
        _ => throw new ArgumentOutOfRangeException(nameof(status), status, "Unknown outbox status."),
    };

    /// <summary>Parses the stored text of a status.</summary>
    /// <param name="text">One of <c>PENDING</c>, <c>SENT</c>, <c>FAILED</c>, <c>DEAD_LETTER</c> (exact case).</param>
    /// <returns>The status.</returns>
    /// <exception cref="FormatException"><paramref name="text"/> is not a known status.</exception>
    public static OutboxStatus Parse(string text) => text switch
    {
        Pending => OutboxStatus.Pending,
        Sent => OutboxStatus.Sent,
        Failed => OutboxStatus.Failed,
        DeadLetter => OutboxStatus.DeadLetter,
        _ => throw new FormatException($"'{text}' is not an outbox status; expected PENDING, SENT, FAILED or DEAD_LETTER."),
    };
}
