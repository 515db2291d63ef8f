namespace OrderOutbox.Dispatching;

/// <summary>
/// One destination of the HTTP dispatcher and the state it keeps for this instance: its URL, timeout, status table,
/// signer and request budget. One exists per configured endpoint for the life of the dispatcher, so state that
/// belongs to an endpoint (its rate limit and <c>Retry-After</c> pause; later its circuit) hangs off it.
/// </summary>
internal sealed class HttpEndpoint(string name, Uri url, TimeSpan? timeout, HttpStatusPolicy statusPolicy, WebhookSigner? signer, EndpointRateLimiter limiter)
{
    /// <summary>The endpoint's name (<see cref="HttpDispatcherOptions.DefaultEndpointName"/> for <see cref="HttpDispatcherOptions.Endpoint"/>).</summary>
    public string Name => name;

    public Uri Url => url;

    /// <summary>The endpoint's own call timeout, or <see langword="null"/> for the engine's alone.</summary>
    public TimeSpan? Timeout => timeout;

    public HttpStatusPolicy StatusPolicy => statusPolicy;

    /// <summary>The Standard Webhooks signer, or <see langword="null"/> when requests go unsigned.</summary>
    public WebhookSigner? Signer => signer;

    /// <summary>The rate limit and <c>Retry-After</c> pause shared by every worker of this instance.</summary>
    public EndpointRateLimiter Limiter => limiter;
}
