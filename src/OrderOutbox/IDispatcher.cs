namespace OrderOutbox;

/// <summary>
/// Delivers one outbox record to its destination. The default is the HTTP dispatcher
/// (<c>UseHttpDispatcher</c>); register your own to deliver elsewhere.
/// </summary>
/// <remarks>
/// <para>A dispatcher reports delivery failures through its <see cref="DispatchResult"/>, never by throwing:
/// <see cref="DispatchResult.Success"/> when the destination accepted the message,
/// <see cref="DispatchResult.Transient"/> when a later attempt may succeed (timeouts, network errors, 5xx, 408, 429),
/// <see cref="DispatchResult.EndpointFault"/> when a later attempt may succeed once the destination or its
/// configuration is fixed (expired credentials, a wrong URL),
/// <see cref="DispatchResult.Permanent"/> when it never will (the record is dead-lettered at once).</para>
/// <para>The <see cref="CancellationToken"/> fires when the per-call timeout (<see cref="OutboxOptions.DispatchTimeout"/>)
/// elapses or the host stops. An exception that escapes anyway is recorded as a transient failure.</para>
/// <para>Delivery is at-least-once: the same record (same <see cref="OutboxMessage.Id"/>) may be dispatched again
/// after a crash, so pass the ID to the receiver for de-duplication. Implementations must be thread-safe:
/// up to <see cref="OutboxOptions.MaxConcurrency"/> calls run at once.</para>
/// </remarks>
public interface IDispatcher
{
    /// <summary>Delivers <paramref name="message"/>.</summary>
    /// <param name="message">The claimed record; its payload is sent exactly as stored.</param>
    /// <param name="cancellationToken">Fires on timeout or shutdown.</param>
    /// <returns>The classified result.</returns>
    ValueTask<DispatchResult> DispatchAsync(OutboxMessage message, CancellationToken cancellationToken);
}

/// <summary>How an attempt ended, from the dispatcher's point of view.</summary>
public enum DispatchResultKind
{
    /// <summary>
    /// Not a result: the value of <c>default(DispatchResult)</c>, returned by a dispatcher that never set one. It never
    /// means success: the engine records it as a transient failure (<c>last_error</c> says so) and retries the record.
    /// </summary>
    Unknown = 0,

    /// <summary>Delivered.</summary>
    Success = 1,

    /// <summary>Failed; a later attempt may succeed. The record is retried after the backoff delay.</summary>
    TransientFailure = 2,

    /// <summary>Failed; retrying will not help. The record is dead-lettered at once.</summary>
    PermanentFailure = 3,
}

/// <summary>The result of <see cref="IDispatcher.DispatchAsync"/>.</summary>
public readonly record struct DispatchResult
{
    private DispatchResult(DispatchResultKind kind, string? error, TimeSpan? retryAfter, bool isEndpointFault = false, bool isNotSent = false)
    {
        Kind = kind;
        Error = error;
        RetryAfter = retryAfter;
        IsEndpointFault = isEndpointFault;
        IsNotSent = isNotSent;
    }

    /// <summary>How the attempt ended; <see cref="DispatchResultKind.Unknown"/> for <c>default(DispatchResult)</c>.</summary>
    public DispatchResultKind Kind { get; }

    /// <summary>The failure text (status code and reason, or exception type and message), or <see langword="null"/> on success.</summary>
    public string? Error { get; }

    /// <summary>
    /// For transient failures, the wait the destination asked for (for example HTTP <c>Retry-After</c>).
    /// It can only lengthen the backoff delay, never shorten it.
    /// </summary>
    public TimeSpan? RetryAfter { get; }

    /// <summary>
    /// Whether the failure lies with the destination or its configuration (expired credentials, a wrong URL, a
    /// receiver that asked everyone to wait) rather than with the message. Such a failure is transient
    /// (<see cref="DispatchResultKind.TransientFailure"/>); the engine may count it against the endpoint.
    /// </summary>
    public bool IsEndpointFault { get; }

    /// <summary>
    /// Whether the dispatcher did not send the message at all (for example because the receiver asked the whole
    /// endpoint to wait with <c>Retry-After</c>). Such a result is transient and spends no retry: the record keeps its
    /// retry count and is due again after <see cref="RetryAfter"/>.
    /// </summary>
    public bool IsNotSent { get; }

    /// <summary>A successful delivery.</summary>
    public static DispatchResult Success { get; } = new(DispatchResultKind.Success, null, null);

    /// <summary>A failure that a later attempt may fix.</summary>
    /// <param name="error">What went wrong.</param>
    /// <param name="retryAfter">The wait the destination asked for, if any.</param>
    /// <returns>The result.</returns>
    public static DispatchResult Transient(string error, TimeSpan? retryAfter = null)
        => new(DispatchResultKind.TransientFailure, error ?? throw new ArgumentNullException(nameof(error)), retryAfter);

    /// <summary>A failure that retrying cannot fix; the record is dead-lettered at once.</summary>
    /// <param name="error">What went wrong.</param>
    /// <returns>The result.</returns>
    public static DispatchResult Permanent(string error)
        => new(DispatchResultKind.PermanentFailure, error ?? throw new ArgumentNullException(nameof(error)), null);

    /// <summary>
    /// A transient failure caused by the destination or its configuration rather than the message
    /// (<see cref="IsEndpointFault"/>); the record is retried after the backoff delay.
    /// </summary>
    /// <param name="error">What went wrong.</param>
    /// <param name="retryAfter">The wait the destination asked for, if any.</param>
    /// <returns>The result.</returns>
    public static DispatchResult EndpointFault(string error, TimeSpan? retryAfter = null)
        => new(DispatchResultKind.TransientFailure, error ?? throw new ArgumentNullException(nameof(error)), retryAfter, isEndpointFault: true);

    /// <summary>
    /// The message was not sent (<see cref="IsNotSent"/>): it is due again after <paramref name="retryAfter"/> with its
    /// retry count unchanged, so waiting that the receiver asked for never uses up a record's retries.
    /// </summary>
    /// <param name="reason">Why it was not sent (stored in <c>last_error</c>).</param>
    /// <param name="retryAfter">When to try again (more than zero).</param>
    /// <returns>The result.</returns>
    public static DispatchResult NotSent(string reason, TimeSpan retryAfter)
    {
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(retryAfter, TimeSpan.Zero);
        return new(DispatchResultKind.TransientFailure, reason ?? throw new ArgumentNullException(nameof(reason)), retryAfter, isNotSent: true);
    }
}
