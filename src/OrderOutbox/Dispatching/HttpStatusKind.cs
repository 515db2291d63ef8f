namespace OrderOutbox.Dispatching;

/// <summary>What an HTTP answer means for the record that was sent, as classified by the status policy
/// (<see cref="HttpDispatcherOptions.StatusPolicy"/>).</summary>
public enum HttpStatusKind
{
    /// <summary>Delivered: the record becomes <c>SENT</c>.</summary>
    Success = 0,

    /// <summary>The message itself is at fault (malformed, too large, refused by the receiver's rules): retrying cannot
    /// fix it, so the record is dead-lettered at once.</summary>
    MessageFault = 1,

    /// <summary>The endpoint or its configuration is at fault (expired credentials, wrong URL, moved resource): the record
    /// is retried after the backoff delay, and the failure counts against the endpoint rather than the message.</summary>
    EndpointFault = 2,

    /// <summary>A passing failure (overload, throttling, a server error): the record is retried after the backoff delay.</summary>
    Transient = 3,
}
