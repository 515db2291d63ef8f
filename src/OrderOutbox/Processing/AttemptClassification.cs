namespace OrderOutbox.Processing;

/// <summary>What one attempt leads to: the outcome to store and the names its telemetry uses.</summary>
/// <param name="Outcome">The outcome to write (fenced by the claim token).</param>
/// <param name="ResultName">The <c>orderoutbox.dispatch.result</c> tag: <c>success</c>, <c>transient</c>, <c>permanent</c>,
/// or <c>not_sent</c> (the dispatcher did not send, <see cref="DispatchResult.NotSent"/>).</param>
/// <param name="ErrorType">The <c>error.type</c> tag: empty on success, else <c>transient</c>, <c>timeout</c>,
/// <c>permanent</c>, <c>retries_exhausted</c> or an exception's type name.</param>
internal readonly record struct AttemptClassification(OutboxOutcome Outcome, string ResultName, string ErrorType)
{
    /// <summary>How the endpoint's circuit counts the attempt: a transient failure (timeout, network error, 5xx, 429, an
    /// endpoint fault, retries exhausted) is the endpoint failing; a success or a permanent refusal is the endpoint up; a
    /// call that was not made tells nothing about the endpoint.</summary>
    public CircuitResult CircuitResult => ResultName switch
    {
        "transient" => CircuitResult.EndpointFailure,
        "not_sent" => CircuitResult.Abandoned,
        _ => CircuitResult.EndpointUp,
    };
}
