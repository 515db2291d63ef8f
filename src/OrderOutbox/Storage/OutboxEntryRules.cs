using System.Globalization;
using System.Text;

namespace OrderOutbox.Storage;

/// <summary>
/// What makes a message type and an aggregate ID storable in every store: 1 to
/// <see cref="OutboxLimits.MaxMessageTypeLength"/> (message type) or at most <see cref="OutboxLimits.MaxAggregateIdLength"/>
/// (aggregate ID) characters, no control character (U+0000 to U+001F, U+007F to U+009F) and no unpaired surrogate.
/// The writer checks them before it serialises the payload; every store checks them again before any SQL runs, so a
/// direct <see cref="IOutboxStore.EnqueueAsync"/> is held to the same rules.
/// </summary>
public static class OutboxEntryRules
{
    /// <summary>How much of an offending value an error message quotes.</summary>
    private const int QuotedLength = 60;

    /// <summary>Throws when the message type or the aggregate ID of <paramref name="entry"/> is not storable.</summary>
    /// <param name="entry">The record to insert.</param>
    /// <param name="paramName">The caller's parameter name.</param>
    /// <exception cref="ArgumentNullException"><paramref name="entry"/> or its message type is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException">The message type or the aggregate ID breaks a rule; the message says which and where.</exception>
    public static void Validate(OutboxEntry entry, string paramName)
    {
        ArgumentNullException.ThrowIfNull(entry, paramName);
        ValidateMessageType(entry.MessageType, paramName);
        ValidateAggregateId(entry.AggregateId, paramName);
    }

    /// <summary>
    /// Throws when <paramref name="entries"/> is <see langword="null"/>, or when any entry is <see langword="null"/> or
    /// breaks <see cref="Validate"/>; every entry is checked before the caller writes any of them.
    /// </summary>
    /// <param name="entries">The records of a bulk enqueue.</param>
    /// <param name="paramName">The caller's parameter name.</param>
    /// <exception cref="ArgumentNullException"><paramref name="entries"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException">An entry is <see langword="null"/> or breaks a rule; the message names its index.</exception>
    public static void ValidateBatch(IReadOnlyList<OutboxEntry> entries, string paramName)
    {
        ArgumentNullException.ThrowIfNull(entries, paramName);
        for (int i = 0; i < entries.Count; i++)
        {
            try
            {
                Validate(entries[i], paramName);
            }
            catch (ArgumentException ex)
            {
                throw new ArgumentException(
                    string.Create(CultureInfo.InvariantCulture, $"Entry {i} of the batch is refused and nothing was written: {ex.Message}"),
                    paramName,
                    ex);
            }
        }
    }

    /// <summary>Throws unless <paramref name="messageType"/> is 1 to 200 characters of printable text, not all white space.</summary>
    /// <param name="messageType">The message type, for example <c>order.completed</c>.</param>
    /// <param name="paramName">The caller's parameter name.</param>
    /// <exception cref="ArgumentNullException"><paramref name="messageType"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException">The message type is blank, too long, or holds a control character or an unpaired surrogate.</exception>
    public static void ValidateMessageType(string messageType, string paramName)
    {
        if (messageType is null)
        {
            throw new ArgumentNullException(paramName, "The message type must not be null.");
        }

        if (string.IsNullOrWhiteSpace(messageType))
        {
            throw new ArgumentException(
                $"The message type must not be empty or white space (1 to {OutboxLimits.MaxMessageTypeLength} characters, for example 'order.completed').",
                paramName);
        }

        ValidateText(messageType, "message type", OutboxLimits.MaxMessageTypeLength, nameof(OutboxLimits.MaxMessageTypeLength), paramName);
    }

    /// <summary>Throws unless <paramref name="aggregateId"/> is <see langword="null"/> or at most 450 characters of printable text.</summary>
    /// <param name="aggregateId">The business key, for example the order ID, or <see langword="null"/>.</param>
    /// <param name="paramName">The caller's parameter name.</param>
    /// <exception cref="ArgumentException">The aggregate ID is too long, or holds a control character or an unpaired surrogate.</exception>
    public static void ValidateAggregateId(string? aggregateId, string paramName)
    {
        if (aggregateId is not null)
        {
            ValidateText(aggregateId, "aggregate ID", OutboxLimits.MaxAggregateIdLength, nameof(OutboxLimits.MaxAggregateIdLength), paramName);
        }
    }

    private static void ValidateText(string value, string what, int maxLength, string limitName, string paramName)
    {
        if (value.Length > maxLength)
        {
            throw new ArgumentException(
                string.Create(
                    CultureInfo.InvariantCulture,
                    $"The {what} '{Quote(value)}' is {value.Length:N0} characters long; at most {maxLength:N0} are allowed (OutboxLimits.{limitName}, the same in every store)."),
                paramName);
        }

        for (int i = 0; i < value.Length; i++)
        {
            char c = value[i];
            if (char.IsControl(c))
            {
                throw new ArgumentException(
                    string.Create(
                        CultureInfo.InvariantCulture,
                        $"The {what} '{Quote(value)}' contains the control character U+{(int)c:X4} at index {i}; message types and aggregate IDs must be printable text (no U+0000 to U+001F or U+007F to U+009F)."),
                    paramName);
            }

            if (char.IsSurrogate(c))
            {
                if (char.IsHighSurrogate(c) && i + 1 < value.Length && char.IsLowSurrogate(value[i + 1]))
                {
                    i++;
                    continue;
                }

                throw new ArgumentException(
                    string.Create(
                        CultureInfo.InvariantCulture,
                        $"The {what} '{Quote(value)}' contains the unpaired surrogate U+{(int)c:X4} at index {i}; it is not valid Unicode text and cannot be stored as UTF-8."),
                    paramName);
            }
        }
    }

    /// <summary>The start of <paramref name="value"/> with every control character or surrogate written as <c>\uXXXX</c>.</summary>
    private static string Quote(string value)
    {
        var builder = new StringBuilder(QuotedLength + 8);
        foreach (char c in value.AsSpan(0, Math.Min(value.Length, QuotedLength)))
        {
            if (char.IsControl(c) || char.IsSurrogate(c))
            {
                builder.Append("\\u").Append(((int)c).ToString("X4", CultureInfo.InvariantCulture));
            }
            else
            {
                builder.Append(c);
            }
        }

        return value.Length > QuotedLength ? builder.Append('…').ToString() : builder.ToString();
    }
}
