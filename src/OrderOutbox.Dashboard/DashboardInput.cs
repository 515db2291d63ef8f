using System.Globalization;

namespace OrderOutbox.Dashboard;

/// <summary>A parsed request value, or the message that says what was wrong with it.</summary>
internal readonly record struct Parsed<T>(T Value, string? Error)
{
    public static Parsed<T> Ok(T value) => new(value, null);

    public static Parsed<T> Fail(string error) => new(default!, error);
}

/// <summary>
/// Parses and checks what a dashboard request carries (page size, cursor, selected IDs, purge date). Pure functions:
/// every error names the field, the value received and what is allowed.
/// </summary>
internal static class DashboardInput
{
    public static Parsed<int> Limit(string? text, int defaultLimit)
    {
        if (string.IsNullOrEmpty(text))
        {
            return Parsed<int>.Ok(defaultLimit);
        }

        return int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out int limit) && limit is >= 1 and <= OrderOutboxDashboardOptions.MaxPageSize
            ? Parsed<int>.Ok(limit)
            : Parsed<int>.Fail($"limit = '{Shorten(text)}': must be a whole number from 1 to {OrderOutboxDashboardOptions.MaxPageSize}.");
    }

    public static Parsed<Guid?> After(string? text)
    {
        if (string.IsNullOrEmpty(text))
        {
            return Parsed<Guid?>.Ok(null);
        }

        return Guid.TryParse(text, out Guid after)
            ? Parsed<Guid?>.Ok(after)
            : Parsed<Guid?>.Fail($"after = '{Shorten(text)}': must be the ID (a UUID) of the last record of the previous page, or empty for the first page.");
    }

    public static Parsed<Guid> Id(string? text)
        => Guid.TryParse(text, out Guid id)
            ? Parsed<Guid>.Ok(id)
            : Parsed<Guid>.Fail($"id = '{Shorten(text)}': must be a message ID (a UUID).");

    public static Parsed<IReadOnlyList<Guid>> Ids(IReadOnlyList<string?>? texts)
    {
        if (texts is null || texts.Count == 0 || texts.Count > OrderOutboxDashboardOptions.MaxSelectedIds)
        {
            return Parsed<IReadOnlyList<Guid>>.Fail(
                $"ids = {texts?.Count ?? 0} IDs: select from 1 to {OrderOutboxDashboardOptions.MaxSelectedIds} dead letters.");
        }

        var ids = new List<Guid>(texts.Count);
        foreach (string? text in texts)
        {
            if (!Guid.TryParse(text, out Guid id))
            {
                return Parsed<IReadOnlyList<Guid>>.Fail($"ids contains '{Shorten(text)}': every entry must be a message ID (a UUID).");
            }

            ids.Add(id);
        }

        return Parsed<IReadOnlyList<Guid>>.Ok(ids.Distinct().ToList());
    }

    public static Parsed<DateTimeOffset> SentBefore(string? text, DateTimeOffset now)
    {
        if (string.IsNullOrWhiteSpace(text)
            || !DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out DateTimeOffset sentBefore))
        {
            return Parsed<DateTimeOffset>.Fail($"sentBefore = '{Shorten(text)}': must be a date and time (ISO 8601, UTC unless an offset is given) not later than now ({now.UtcDateTime:yyyy-MM-ddTHH:mm:ssZ}).");
        }

        return sentBefore > now
            ? Parsed<DateTimeOffset>.Fail($"sentBefore = '{Shorten(text)}': must not be later than now ({now.UtcDateTime:yyyy-MM-ddTHH:mm:ssZ}); a purge only removes records already delivered.")
            : Parsed<DateTimeOffset>.Ok(sentBefore);
    }

    /// <summary>Builds the filter of a request; its own rules (lengths, ranges) come from <see cref="DeadLetterFilter.Validate"/>.</summary>
    public static Parsed<DeadLetterFilter> Filter(DeadLetterFilterRequest? request)
    {
        if (request is null)
        {
            return Parsed<DeadLetterFilter>.Ok(DeadLetterFilter.All);
        }

        Parsed<DateTimeOffset?> createdFrom = Time("createdFrom", request.CreatedFrom);
        Parsed<DateTimeOffset?> createdBefore = Time("createdBefore", request.CreatedBefore);
        Parsed<DateTimeOffset?> attemptFrom = Time("lastAttemptFrom", request.LastAttemptFrom);
        Parsed<DateTimeOffset?> attemptBefore = Time("lastAttemptBefore", request.LastAttemptBefore);
        if ((createdFrom.Error ?? createdBefore.Error ?? attemptFrom.Error ?? attemptBefore.Error) is { } error)
        {
            return Parsed<DeadLetterFilter>.Fail(error);
        }

        var filter = new DeadLetterFilter
        {
            MessageType = NullIfEmpty(request.Type),
            AggregateId = NullIfEmpty(request.AggregateId),
            LastErrorContains = NullIfEmpty(request.ErrorContains),
            CreatedFrom = createdFrom.Value,
            CreatedBefore = createdBefore.Value,
            LastAttemptFrom = attemptFrom.Value,
            LastAttemptBefore = attemptBefore.Value,
        };
        try
        {
            filter.Validate();
        }
        catch (ArgumentException e)
        {
            return Parsed<DeadLetterFilter>.Fail(e.Message.Replace(" (Parameter 'filter')", string.Empty, StringComparison.Ordinal));
        }

        return Parsed<DeadLetterFilter>.Ok(filter);
    }

    private static Parsed<DateTimeOffset?> Time(string field, string? text)
    {
        if (string.IsNullOrEmpty(text))
        {
            return Parsed<DateTimeOffset?>.Ok(null);
        }

        return DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out DateTimeOffset value)
            ? Parsed<DateTimeOffset?>.Ok(value)
            : Parsed<DateTimeOffset?>.Fail($"{field} = '{Shorten(text)}': must be a date and time (ISO 8601, UTC unless an offset is given), or empty for no bound.");
    }

    private static string? NullIfEmpty(string? text) => string.IsNullOrEmpty(text) ? null : text;

    private static string Shorten(string? text) => text is null ? string.Empty : text.Length <= 60 ? text : text[..60] + "…";
}
