using System.Diagnostics.CodeAnalysis;
using Microsoft.Extensions.Options;

namespace OrderOutbox.Dispatching;

/// <summary>
/// The endpoints of the HTTP dispatcher, built once from <see cref="HttpDispatcherOptions"/>, and the
/// <see cref="IOutboxRouter"/> over its route table. <see cref="HttpDispatcherOptions.Endpoint"/> becomes the endpoint
/// <see cref="HttpDispatcherOptions.DefaultEndpointName"/>; a named endpoint's unset settings come from the top level.
/// </summary>
internal sealed class HttpEndpointRegistry : IOutboxRouter
{
    private readonly Dictionary<string, HttpEndpoint> _endpoints;
    private readonly HttpRouteTable _routes;

    public HttpEndpointRegistry(IOptions<HttpDispatcherOptions> options, TimeProvider timeProvider)
    {
        HttpDispatcherOptions o = options.Value;
        _endpoints = new Dictionary<string, HttpEndpoint>(StringComparer.OrdinalIgnoreCase);
        HttpStatusPolicy shared = HttpStatusPolicy.Build(o.StatusPolicy, null, o.RetryClientErrors);
        WebhookSigner? sharedSigner = WebhookSigner.Create([.. o.SigningSecrets ?? []]);
        if (o.Endpoint is { } url)
        {
            Add(new HttpEndpoint(
                HttpDispatcherOptions.DefaultEndpointName, url, null, shared, sharedSigner,
                new EndpointRateLimiter(timeProvider, o.MaxRequestsPerSecond, o.RateLimitBurst)));
        }

        foreach ((string name, HttpEndpointOptions e) in o.Endpoints ?? [])
        {
            Add(new HttpEndpoint(
                name,
                e.Url ?? throw new InvalidOperationException($"HttpDispatcherOptions.Endpoints['{name}'].Url is required."),
                e.Timeout,
                e.StatusPolicy is { Count: > 0 } own ? HttpStatusPolicy.Build(o.StatusPolicy, own, o.RetryClientErrors) : shared,
                e.SigningSecrets is null ? sharedSigner : WebhookSigner.Create([.. e.SigningSecrets]),
                new EndpointRateLimiter(timeProvider, e.MaxRequestsPerSecond ?? o.MaxRequestsPerSecond, e.RateLimitBurst ?? o.RateLimitBurst)));
        }

        if (_endpoints.Count == 0)
        {
            throw new InvalidOperationException(
                "HttpDispatcherOptions.Endpoint or HttpDispatcherOptions.Endpoints is required: set it in UseHttpDispatcher(http => http.Endpoint = new Uri(\"https://…\")).");
        }

        string? fallback = o.DefaultEndpoint ?? (o.Endpoint is null ? null : HttpDispatcherOptions.DefaultEndpointName);
        _routes = new HttpRouteTable(o.Routes ?? [], fallback);
        EndpointNames = [.. _endpoints.Values.Select(e => e.Name)];
    }

    /// <inheritdoc />
    public IReadOnlyCollection<string> EndpointNames { get; }

    /// <inheritdoc />
    public bool TryGetEndpoint(string messageType, [NotNullWhen(true)] out string? endpointName)
    {
        ArgumentNullException.ThrowIfNull(messageType);
        if (TryGetHttpEndpoint(messageType, out HttpEndpoint? endpoint))
        {
            endpointName = endpoint.Name;
            return true;
        }

        endpointName = null;
        return false;
    }

    /// <summary>The endpoint <paramref name="messageType"/> is delivered to.</summary>
    public bool TryGetHttpEndpoint(string messageType, [NotNullWhen(true)] out HttpEndpoint? endpoint)
    {
        endpoint = null;
        return _routes.TryMatch(messageType, out string? name) && _endpoints.TryGetValue(name, out endpoint);
    }

    private void Add(HttpEndpoint endpoint) => _endpoints[endpoint.Name] = endpoint;
}
