namespace OrderOutbox.Tests.Model;

/// <summary>
/// The invariants checked at the end of a run, over the journal and the rows read back from the store. Each returns
/// the violations it found, naming the record; the caller adds the record's history and the seed.
/// </summary>
internal static class ModelInvariants
{
    /// <summary>Every record is final (<c>SENT</c>/<c>DEAD_LETTER</c>) or legitimately waiting (<c>FAILED</c>, due later, not leased).</summary>
    public static IEnumerable<string> FinalOrWaiting(RecordTrace record, OutboxMessage? row, DateTimeOffset now)
    {
        if (row is null)
        {
            yield return "a committed record is missing from the store";
            yield break;
        }

        bool waiting = row.Status == OutboxStatus.Failed && row.NextAttemptAt > now && row.LeaseOwner is null;
        if (row.Status is not (OutboxStatus.Sent or OutboxStatus.DeadLetter) && !waiting)
        {
            yield return $"stuck: {row.Status}, due {ModelTrace.Format(row.NextAttemptAt)}, leased by [{row.LeaseOwner}] until {ModelTrace.Format(row.LeaseExpiresAt)} at the end ({ModelTrace.Format(now)})";
        }
    }

    /// <summary>
    /// At most 1 + MaxRetries attempts, plus one for each crash that held the record's lease and one for each call a
    /// forced stop aborted (the receiver got it; the engine released the record without an outcome, as documented).
    /// </summary>
    public static IEnumerable<string> AttemptsBounded(RecordTrace record, int maxRetries)
    {
        int aborted = record.Attempts.Count(a => a.Aborted);
        int allowed = 1 + maxRetries + record.Interruptions + aborted;
        if (record.Attempts.Count > allowed)
        {
            yield return $"{record.Attempts.Count} attempts, but at most {allowed} are allowed (1 + {maxRetries} retries + {record.Interruptions} crashes and stalls that held it + {aborted} calls aborted at shutdown)";
        }
    }

    /// <summary>
    /// Fencing: every accepted write came from the claim that held the record at that moment, each claim wrote at most
    /// once, and the stored row is what the record's last claim wrote.
    /// </summary>
    public static IEnumerable<string> Fenced(RecordTrace record, OutboxMessage? row)
    {
        foreach (WriteEvent write in record.Writes)
        {
            // The processor too: equal tokens from two processes (a collision) must not let the stale one through.
            if (!string.Equals(write.Outcome.LeaseOwner, write.LatestClaimToken, StringComparison.Ordinal) || write.Processor != write.LatestClaimProcessor)
            {
                yield return $"write #{write.Seq} by P{write.Processor} [{write.Outcome.LeaseOwner}] was accepted although the record was held by P{write.LatestClaimProcessor} [{write.LatestClaimToken}]";
            }
        }

        foreach (IGrouping<(int, string), WriteEvent> byToken in record.Writes.GroupBy(w => (w.Processor, w.Outcome.LeaseOwner)).Where(g => g.Count() > 1))
        {
            yield return $"claim [{byToken.Key}] wrote {byToken.Count()} outcomes";
        }

        if (row is null || row.Status == OutboxStatus.Pending)
        {
            yield break;
        }

        if (record.Writes.Count == 0)
        {
            yield return $"the row is {row.Status}, but no write was accepted";
            yield break;
        }

        WriteEvent last = record.Writes[^1];
        ClaimEvent? lastClaim = record.Claims.Count > 0 ? record.Claims[^1] : null;
        if (lastClaim is null || !string.Equals(lastClaim.Token, last.Outcome.LeaseOwner, StringComparison.Ordinal) || lastClaim.Processor != last.Processor)
        {
            yield return $"the last accepted write is by P{last.Processor} [{last.Outcome.LeaseOwner}], but the last claim was P{lastClaim?.Processor} [{lastClaim?.Token}]";
        }

        OutboxOutcome o = last.Outcome;
        bool matches = row.Status == o.Status
            && row.RetryCount == o.RetryCount
            && row.LastAttemptAt == o.AttemptedAt
            && (o.Status != OutboxStatus.Sent || row.SentAt == o.CompletedAt)
            && (o.NextAttemptAt is null || row.NextAttemptAt == o.NextAttemptAt);
        if (!matches)
        {
            yield return $"the row ({row.Status}, retry {row.RetryCount}, attempted {ModelTrace.Format(row.LastAttemptAt)}, next {ModelTrace.Format(row.NextAttemptAt)}) is not what the last claim wrote ({o.Status}, retry {o.RetryCount}, attempted {ModelTrace.Format(o.AttemptedAt)}, next {ModelTrace.Format(o.NextAttemptAt)})";
        }
    }

    /// <summary>
    /// Each claim makes at most one call per record, no call starts on a lease that would end before the call's
    /// timeout, and every accepted write agrees with the answer its call got (and with the backoff policy).
    /// </summary>
    public static IEnumerable<string> WritesAgreeWithCalls(RecordTrace record, TimeSpan dispatchTimeout, IBackoffPolicy backoff)
    {
        foreach (IGrouping<(int, string), AttemptEvent> byToken in record.Attempts.GroupBy(a => (a.Processor, a.Token)).Where(g => g.Count() > 1))
        {
            yield return $"claim [{byToken.Key}] made {byToken.Count()} calls";
        }

        foreach (AttemptEvent attempt in record.Attempts)
        {
            if (attempt.LeaseUntil is not { } until || attempt.StartedAt + dispatchTimeout > until)
            {
                yield return $"attempt {attempt.Number} started at {ModelTrace.Format(attempt.StartedAt)} on a lease ending {ModelTrace.Format(attempt.LeaseUntil)}, before its {dispatchTimeout.TotalSeconds:0.###} s timeout could end";
            }
        }

        foreach (WriteEvent write in record.Writes)
        {
            OutboxOutcome o = write.Outcome;
            AttemptEvent? attempt = record.Attempts.FirstOrDefault(a => a.Token == o.LeaseOwner && a.Processor == write.Processor);
            if (attempt is null)
            {
                yield return $"write #{write.Seq} ({o.Status}) by [{o.LeaseOwner}] without a call";
                continue;
            }

            ClaimEvent? claim = record.Claims.FirstOrDefault(c => c.Token == o.LeaseOwner && c.Processor == write.Processor);
            if (Expected(attempt, claim, o, dispatchTimeout, backoff) is { } problem)
            {
                yield return $"write #{write.Seq} by [{o.LeaseOwner}]: {problem}";
            }
        }
    }

    /// <summary>The dead-letter hook ran at most once per accepted dead-letter write, and exactly once for a live writer.</summary>
    public static IEnumerable<string> HookOncePerDeadLetter(RecordTrace record, ISet<int> crashedProcessors)
    {
        int written = record.Writes.Count(w => w.Outcome.Status == OutboxStatus.DeadLetter);
        int byLive = record.Writes.Count(w => w.Outcome.Status == OutboxStatus.DeadLetter && !crashedProcessors.Contains(w.Processor));
        if (record.HookCalls > written || record.HookCalls < byLive)
        {
            yield return $"the dead-letter hook ran {record.HookCalls} times for {written} dead-letter writes ({byLive} by processes that did not crash)";
        }
    }

    private static string? Expected(AttemptEvent attempt, ClaimEvent? claim, OutboxOutcome o, TimeSpan dispatchTimeout, IBackoffPolicy backoff)
    {
        // The engine reads the clock just before the call, the model's receiver just after: the same instant unless the
        // driver moved the clock in between (then the engine's reading is the earlier one, never before the claim).
        if (claim is null || o.AttemptedAt < claim.Now || o.AttemptedAt > attempt.StartedAt)
        {
            return $"attempted_at {ModelTrace.Format(o.AttemptedAt)} is not between the claim {ModelTrace.Format(claim?.Now)} and the call's start {ModelTrace.Format(attempt.StartedAt)}";
        }

        bool timedOut = attempt.Answer.Delay > dispatchTimeout;
        AnswerKind kind = timedOut ? AnswerKind.Transient : attempt.Answer.Kind;
        int failed = attempt.RetryCount + 1;
        switch (kind)
        {
            case AnswerKind.Success:
                return o.Status == OutboxStatus.Sent && o.RetryCount == attempt.RetryCount ? null : $"a success answer was written as {o.Status} retry {o.RetryCount}";
            case AnswerKind.Permanent:
                return o.Status == OutboxStatus.DeadLetter && o.RetryCount == failed ? null : $"a permanent answer was written as {o.Status} retry {o.RetryCount}";
            default:
                if (!backoff.TryGetRetryDelay(failed, out TimeSpan delay))
                {
                    return o.Status == OutboxStatus.DeadLetter && o.RetryCount == failed ? null : $"failure {failed} (retries exhausted) was written as {o.Status} retry {o.RetryCount}";
                }

                TimeSpan wait = !timedOut && attempt.Answer.RetryAfter is { } retryAfter && retryAfter > delay ? retryAfter : delay;
                return o.Status == OutboxStatus.Failed && o.RetryCount == failed && o.NextAttemptAt == o.CompletedAt + wait
                    ? null
                    : $"failure {failed} ({(timedOut ? "timeout" : kind.ToString())}) was written as {o.Status} retry {o.RetryCount} next {ModelTrace.Format(o.NextAttemptAt)}, expected FAILED next {ModelTrace.Format(o.CompletedAt + wait)}";
        }
    }
}
