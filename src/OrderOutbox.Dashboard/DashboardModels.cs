namespace OrderOutbox.Dashboard;

/// <summary>What the page needs to know before it calls anything else.</summary>
internal sealed record DashboardSession(string AntiforgeryHeader, string? AntiforgeryToken, bool CanSeePayloads, double RefreshSeconds, int PageSize);

/// <summary>Counts per status and backlog age, as the page shows them.</summary>
internal sealed record DashboardStatistics(long Pending, long Failed, long Due, long Leased, long DeadLetter, long? SentEstimate, double? OldestDueAgeSeconds, DateTimeOffset At)
{
    public static DashboardStatistics From(OutboxStatistics s, DateTimeOffset at)
        => new(s.Pending, s.Failed, s.Due, s.Leased, s.DeadLetter, s.SentEstimate, s.OldestDueAge?.TotalSeconds, at);
}

/// <summary>One dead letter in the list: no payload.</summary>
internal sealed record DeadLetterRow(Guid Id, string MessageType, string? AggregateId, int RetryCount, DateTimeOffset CreatedAt, DateTimeOffset? LastAttemptAt, DateTimeOffset? RequeuedAt, string? LastError)
{
    public static DeadLetterRow From(OutboxMessage m) => new(m.Id, m.MessageType, m.AggregateId, m.RetryCount, m.CreatedAt, m.LastAttemptAt, m.RequeuedAt, m.LastError);
}

/// <summary>A page of dead letters and the cursor of the next one (<see langword="null"/> on the last page).</summary>
internal sealed record DeadLetterPage(IReadOnlyList<DeadLetterRow> Items, Guid? Next);

/// <summary>One record in full; <see cref="Payload"/> and <see cref="Headers"/> only when the user may see them.</summary>
internal sealed record MessageDetail(
    Guid Id,
    string MessageType,
    string? AggregateId,
    string Status,
    int RetryCount,
    DateTimeOffset CreatedAt,
    DateTimeOffset NextAttemptAt,
    DateTimeOffset? LastAttemptAt,
    DateTimeOffset? SentAt,
    DateTimeOffset? RequeuedAt,
    string? LastError,
    string? LeaseOwner,
    DateTimeOffset? LeaseExpiresAt,
    bool PayloadVisible,
    string? Payload,
    string? Headers)
{
    public static MessageDetail From(OutboxMessage m, bool payloadVisible) => new(
        m.Id, m.MessageType, m.AggregateId, OutboxStatusText.ToText(m.Status), m.RetryCount, m.CreatedAt, m.NextAttemptAt, m.LastAttemptAt,
        m.SentAt, m.RequeuedAt, m.LastError, m.LeaseOwner, m.LeaseExpiresAt, payloadVisible, payloadVisible ? m.Payload : null, payloadVisible ? m.Headers : null);
}

/// <summary>The body of "requeue selected".</summary>
internal sealed record RequeueSelectedRequest(IReadOnlyList<string?>? Ids);

/// <summary>
/// Which dead letters to list, count or requeue: the query string of the reads and the body of "requeue matching".
/// Empty fields set no condition; times are ISO 8601 (UTC unless an offset is given), <c>…From</c> included,
/// <c>…Before</c> excluded.
/// </summary>
internal sealed record DeadLetterFilterRequest
{
    public string? Type { get; init; }

    public string? AggregateId { get; init; }

    public string? ErrorContains { get; init; }

    public string? CreatedFrom { get; init; }

    public string? CreatedBefore { get; init; }

    public string? LastAttemptFrom { get; init; }

    public string? LastAttemptBefore { get; init; }
}

/// <summary>The body of "purge".</summary>
internal sealed record PurgeRequest(string? SentBefore);

/// <summary>How many records an action changed (or, for a dry run, would change).</summary>
internal sealed record ActionResult(long Count);
