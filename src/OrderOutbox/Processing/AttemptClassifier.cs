using OrderOutbox.Internal;

namespace OrderOutbox.Processing;

/// <summary>
/// The pure decision of the engine: how one attempt ended (a <see cref="DispatchResult"/>, a timeout or an exception),
/// the record's retry count and the backoff policy → the outcome to store and its telemetry names. No clock, no I/O:
/// every time is passed in.
/// </summary>
internal static class AttemptClassifier
{
    /// <summary>The longest <c>last_error</c> written.</summary>
    public const int MaxErrorLength = 2000;

    /// <summary>The error stored for <c>default(DispatchResult)</c>, which never means success.</summary>
    public const string UnknownResultError =
        "The dispatcher returned default(DispatchResult) (DispatchResultKind.Unknown), which is not a result: return DispatchResult.Success, Transient(...) or Permanent(...). Treated as a transient failure.";

    /// <summary>Classifies an attempt that returned <paramref name="result"/>.</summary>
    /// <param name="message">The claimed record.</param>
    /// <param name="result">What the dispatcher returned.</param>
    /// <param name="backoff">The retry schedule.</param>
    /// <param name="attemptedAt">When the call started.</param>
    /// <param name="completedAt">When it ended.</param>
    /// <returns>The outcome and its tags.</returns>
    public static AttemptClassification Classify(
        OutboxMessage message, in DispatchResult result, IBackoffPolicy backoff, DateTimeOffset attemptedAt, DateTimeOffset completedAt)
        => result.Kind switch
        {
            DispatchResultKind.Success => new(OutboxOutcome.Sent(message, attemptedAt, completedAt), "success", string.Empty),
            DispatchResultKind.PermanentFailure => new(
                OutboxOutcome.DeadLetter(message, attemptedAt, completedAt, OutboxText.Storable(result.Error, MaxErrorLength)), "permanent", "permanent"),
            DispatchResultKind.TransientFailure when result.IsNotSent => new(
                OutboxOutcome.NotSent(message, attemptedAt, completedAt, completedAt + (result.RetryAfter ?? TimeSpan.Zero), OutboxText.Storable(result.Error, MaxErrorLength)),
                "not_sent",
                "not_sent"),
            DispatchResultKind.TransientFailure => Transient(message, result.Error, result.RetryAfter, "transient", backoff, attemptedAt, completedAt),
            _ => Transient(message, UnknownResultError, null, "unknown_result", backoff, attemptedAt, completedAt),
        };

    /// <summary>Classifies an attempt that exceeded its timeout: a transient failure, <c>error.type</c> <c>timeout</c>.</summary>
    /// <param name="message">The claimed record.</param>
    /// <param name="timeoutText">The error text (for example <c>Timeout after 10s</c>).</param>
    /// <param name="backoff">The retry schedule.</param>
    /// <param name="attemptedAt">When the call started.</param>
    /// <param name="completedAt">When it was cut.</param>
    /// <returns>The outcome and its tags.</returns>
    public static AttemptClassification ClassifyTimeout(
        OutboxMessage message, string timeoutText, IBackoffPolicy backoff, DateTimeOffset attemptedAt, DateTimeOffset completedAt)
        => Transient(message, timeoutText, null, "timeout", backoff, attemptedAt, completedAt);

    /// <summary>Classifies an attempt whose dispatcher threw: a transient failure named by the exception's type and message.</summary>
    /// <param name="message">The claimed record.</param>
    /// <param name="exception">What the dispatcher threw.</param>
    /// <param name="backoff">The retry schedule.</param>
    /// <param name="attemptedAt">When the call started.</param>
    /// <param name="completedAt">When it ended.</param>
    /// <returns>The outcome and its tags.</returns>
    public static AttemptClassification ClassifyException(
        OutboxMessage message, Exception exception, IBackoffPolicy backoff, DateTimeOffset attemptedAt, DateTimeOffset completedAt)
    {
        Type type = exception.GetType();
        return Transient(message, type.Name + ": " + exception.Message, null, type.FullName ?? type.Name, backoff, attemptedAt, completedAt);
    }

    /// <summary>
    /// Reclassifies the failed attempt of a half-open circuit's probe: the endpoint is still down, which says nothing about
    /// the record, so it is stored <c>FAILED</c> with its retry count unchanged and due at once (the open circuit holds
    /// it), with the probe's error in <c>last_error</c>.
    /// </summary>
    /// <param name="message">The probed record.</param>
    /// <param name="attempt">How the probe's attempt was classified.</param>
    /// <param name="endpoint">The endpoint whose circuit stays open.</param>
    /// <returns>The outcome to store; its telemetry names are the attempt's.</returns>
    public static AttemptClassification FailedProbe(OutboxMessage message, in AttemptClassification attempt, string endpoint)
    {
        OutboxOutcome tried = attempt.Outcome;
        string error = OutboxText.Storable(
            $"Circuit probe failed: endpoint '{endpoint}' is still down, its circuit stays open and no retry was spent. {tried.LastError}",
            MaxErrorLength);
        return attempt with { Outcome = OutboxOutcome.NotSent(message, tried.AttemptedAt, tried.CompletedAt, tried.CompletedAt, error) };
    }

    private static AttemptClassification Transient(
        OutboxMessage message, string? error, TimeSpan? retryAfter, string errorType, IBackoffPolicy backoff, DateTimeOffset attemptedAt, DateTimeOffset completedAt)
    {
        string stored = OutboxText.Storable(error, MaxErrorLength);
        if (!backoff.TryGetRetryDelay(message.RetryCount + 1, out TimeSpan delay))
        {
            return new(OutboxOutcome.DeadLetter(message, attemptedAt, completedAt, stored), "transient", "retries_exhausted");
        }

        // Retry-After can only lengthen the wait, never shorten it.
        if (retryAfter is { } asked && asked > delay)
        {
            delay = asked;
        }

        return new(OutboxOutcome.Failed(message, attemptedAt, completedAt, completedAt + delay, stored), "transient", errorType);
    }
}
