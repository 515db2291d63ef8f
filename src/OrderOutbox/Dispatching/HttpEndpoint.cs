namespace OrderOutbox.Dispatching;

/// <summary>
/// One destination of the HTTP dispatcher and the state it keeps for this instance: its URL, timeout, status table,
/// signer and request budget. One exists per configured endpoint for the life of the dispatcher, so state that
/// belongs to an endpoint (its rate limit and <c>Retry-After</c> pause; later its circuit) hangs off it.
/// </summary>
internal sealed class HttpEndpoint
{
    public HttpEndpoint(string name, Uri url, TimeSpan? timeout, HttpStatusPolicy statusPolicy, WebhookSigner? signer, EndpointRateLimiter limiter)
    {
        Name = name;
        Url = url;
        Timeout = timeout;
        StatusPolicy = statusPolicy;
        Signer = signer;
        Limiter = limiter;
    }

    /// <summary>The endpoint's name (<see cref="HttpDispatcherOptions.DefaultEndpointName"/> for <see cref="HttpDispatcherOptions.Endpoint"/>).</summary>
    public string Name { get; }

    public Uri Url { get; }

    /// <summary>The endpoint's own call timeout, or <see langword="null"/> for the engine's alone.</summary>
    public TimeSpan? Timeout { get; }

    public HttpStatusPolicy StatusPolicy { get; }

    /// <summary>The Standard Webhooks signer, or <see langword="null"/> when requests go unsigned.</summary>
    public WebhookSigner? Signer { get; }

    /// <summary>The rate limit and <c>Retry-After</c> pause shared by every worker of this instance.</summary>
    public EndpointRateLimiter Limiter { get; }
}
