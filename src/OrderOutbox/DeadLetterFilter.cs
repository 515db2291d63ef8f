using System.Globalization;

namespace OrderOutbox;

/// <summary>
/// Which dead letters a replay (<see cref="IOutboxAdmin.RequeueDeadLettersAsync"/>), its dry run
/// (<see cref="IOutboxAdmin.CountDeadLettersAsync"/>) or a filtered listing addresses. Every condition that is set must
/// hold (they are combined with AND); a condition left <see langword="null"/> does not filter. Time ranges are
/// half-open: <c>From</c> is included, <c>Before</c> is not. Only records in <c>DEAD_LETTER</c> ever match.
/// </summary>
/// <example>
/// Everything that failed with a 503 from the billing endpoint during last night's incident:
/// <code>
/// var filter = new DeadLetterFilter
/// {
///     MessageType = "order.completed",
///     LastAttemptFrom = incidentStart,
///     LastAttemptBefore = incidentEnd,
///     LastErrorContains = "HTTP 503",
/// };
/// long wouldSend = await admin.CountDeadLettersAsync(filter);
/// long sent = await admin.RequeueDeadLettersAsync(filter, batchSize: 1000, progress: new Progress&lt;long&gt;(n =&gt; Console.WriteLine(n)));
/// </code>
/// </example>
public sealed record DeadLetterFilter
{
    /// <summary>The default batch size of a replay: 1,000 records per statement.</summary>
    public const int DefaultBatchSize = 1000;

    /// <summary>
    /// The largest batch size of a replay: 2,000 records per statement (as for the purge: SQL Server escalates a statement
    /// of 5,000 locks to a table lock).
    /// </summary>
    public const int MaxBatchSize = 2000;

    /// <summary>The most explicit IDs one filter may name: 10,000.</summary>
    public const int MaxIds = 10_000;

    /// <summary>The longest <see cref="MessageType"/>: 200 characters (the column's size on SQL Server).</summary>
    public const int MaxMessageTypeLength = 200;

    /// <summary>The longest <see cref="AggregateId"/>: 450 characters (the column's size on SQL Server).</summary>
    public const int MaxAggregateIdLength = 450;

    /// <summary>The longest <see cref="LastErrorContains"/>: 1,000 characters.</summary>
    public const int MaxLastErrorTextLength = 1000;

    /// <summary>A filter with no condition: every dead letter.</summary>
    public static DeadLetterFilter All { get; } = new();

    /// <summary>Only records of this message type (exact, case-sensitive match), for example <c>order.completed</c>.</summary>
    /// <value>Default <see langword="null"/> (any type); 1 to 200 characters, not blank.</value>
    public string? MessageType { get; init; }

    /// <summary>Only records with this aggregate ID (exact, case-sensitive match), for example an order ID.</summary>
    /// <value>Default <see langword="null"/> (any aggregate); 1 to 450 characters, not blank.</value>
    public string? AggregateId { get; init; }

    /// <summary>Only records enqueued at or after this time.</summary>
    /// <value>Default <see langword="null"/> (no lower bound); earlier than <see cref="CreatedBefore"/> when both are set.</value>
    public DateTimeOffset? CreatedFrom { get; init; }

    /// <summary>Only records enqueued before this time (exclusive).</summary>
    /// <value>Default <see langword="null"/> (no upper bound).</value>
    public DateTimeOffset? CreatedBefore { get; init; }

    /// <summary>Only records whose last attempt started at or after this time.</summary>
    /// <value>Default <see langword="null"/> (no lower bound); earlier than <see cref="LastAttemptBefore"/> when both are set.</value>
    public DateTimeOffset? LastAttemptFrom { get; init; }

    /// <summary>Only records whose last attempt started before this time (exclusive).</summary>
    /// <value>Default <see langword="null"/> (no upper bound).</value>
    public DateTimeOffset? LastAttemptBefore { get; init; }

    /// <summary>
    /// Only records whose last error contains this text (ordinal, case-sensitive; no wildcards: <c>%</c> and <c>_</c>
    /// are plain characters), for example <c>HTTP 503</c>.
    /// </summary>
    /// <value>Default <see langword="null"/> (any error); 1 to 1,000 characters.</value>
    public string? LastErrorContains { get; init; }

    /// <summary>Only records with one of these IDs.</summary>
    /// <value>Default <see langword="null"/> (any ID); when set, 1 to 10,000 IDs.</value>
    public IReadOnlyCollection<Guid>? Ids { get; init; }

    /// <summary>
    /// Whether <paramref name="message"/> matches: it is a dead letter and meets every condition that is set. The stores
    /// run the same rules in SQL; this is their reference (and serves callers that filter records they already hold).
    /// </summary>
    /// <param name="message">The record.</param>
    /// <returns><see langword="true"/> if a replay with this filter would requeue it.</returns>
    public bool Matches(OutboxMessage message)
    {
        ArgumentNullException.ThrowIfNull(message);
        return message.Status == OutboxStatus.DeadLetter
               && (MessageType is null || string.Equals(message.MessageType, MessageType, StringComparison.Ordinal))
               && (AggregateId is null || string.Equals(message.AggregateId, AggregateId, StringComparison.Ordinal))
               && InRange(message.CreatedAt, CreatedFrom, CreatedBefore)
               && (LastAttemptFrom is null && LastAttemptBefore is null
                   || message.LastAttemptAt is { } attempt && InRange(attempt, LastAttemptFrom, LastAttemptBefore))
               && (LastErrorContains is null || message.LastError is { } error && error.Contains(LastErrorContains, StringComparison.Ordinal))
               && (Ids is null || Ids.Contains(message.Id));
    }

    /// <summary>
    /// Checks the filter and throws if it cannot be run: the message names the field, its value and the allowed range.
    /// The admin methods call it before touching the database.
    /// </summary>
    /// <param name="paramName">The argument name to report (the caller's parameter).</param>
    /// <exception cref="ArgumentException">A field is out of range or the filter contradicts itself.</exception>
    public void Validate(string paramName = "filter")
    {
        string? error = FindError();
        if (error is not null)
        {
            throw new ArgumentException(error, paramName);
        }
    }

    /// <summary>The first problem of this filter, or <see langword="null"/> when it is valid (pure; for tests and tools).</summary>
    /// <returns>The message, or <see langword="null"/>.</returns>
    internal string? FindError()
        => TextError(nameof(MessageType), MessageType, MaxMessageTypeLength, rejectBlank: true)
           ?? TextError(nameof(AggregateId), AggregateId, MaxAggregateIdLength, rejectBlank: true)
           ?? TextError(nameof(LastErrorContains), LastErrorContains, MaxLastErrorTextLength, rejectBlank: false)
           ?? RangeError(nameof(CreatedFrom), CreatedFrom, nameof(CreatedBefore), CreatedBefore)
           ?? RangeError(nameof(LastAttemptFrom), LastAttemptFrom, nameof(LastAttemptBefore), LastAttemptBefore)
           ?? IdsError(Ids);

    private static bool InRange(DateTimeOffset value, DateTimeOffset? from, DateTimeOffset? before)
        => (from is null || value >= from) && (before is null || value < before);

    private static string? TextError(string field, string? value, int maxLength, bool rejectBlank)
    {
        if (value is null)
        {
            return null;
        }

        if (value.Length == 0 || value.Length > maxLength || (rejectBlank && string.IsNullOrWhiteSpace(value)))
        {
            string shown = value.Length > 40 ? value[..40] + "…" : value;
            string blank = rejectBlank ? ", not blank" : string.Empty;
            return string.Create(
                CultureInfo.InvariantCulture,
                $"DeadLetterFilter.{field} is '{shown}' ({value.Length} characters); allowed: null (no condition) or 1 to {maxLength} characters{blank}.");
        }

        return null;
    }

    private static string? RangeError(string fromField, DateTimeOffset? from, string beforeField, DateTimeOffset? before)
    {
        if (from is { } f && before is { } b && f >= b)
        {
            return string.Create(
                CultureInfo.InvariantCulture,
                $"DeadLetterFilter.{fromField} ({f:O}) must be earlier than DeadLetterFilter.{beforeField} ({b:O}): the range is [{fromField}, {beforeField}), so it would match nothing.");
        }

        return null;
    }

    private static string? IdsError(IReadOnlyCollection<Guid>? ids)
    {
        if (ids is null)
        {
            return null;
        }

        if (ids.Count is 0 or > MaxIds)
        {
            return string.Create(
                CultureInfo.InvariantCulture,
                $"DeadLetterFilter.Ids has {ids.Count} IDs; allowed: null (any ID) or 1 to {MaxIds:N0} IDs (an empty list would match nothing).");
        }

        return null;
    }
}
