namespace OrderOutbox.Processing;

/// <summary>What one attempt leads to: the outcome to store and the names its telemetry uses.</summary>
/// <param name="Outcome">The outcome to write (fenced by the claim token).</param>
/// <param name="ResultName">The <c>orderoutbox.dispatch.result</c> tag: <c>success</c>, <c>transient</c> or <c>permanent</c>.</param>
/// <param name="ErrorType">The <c>error.type</c> tag: empty on success, else <c>transient</c>, <c>timeout</c>,
/// <c>permanent</c>, <c>retries_exhausted</c> or an exception's type name.</param>
internal readonly record struct AttemptClassification(OutboxOutcome Outcome, string ResultName, string ErrorType);
