using System.Globalization;
using Microsoft.Extensions.Options;
using OrderOutbox.DependencyInjection;

namespace OrderOutbox.Dispatching;

/// <summary>
/// Validates <see cref="HttpDispatcherOptions"/> at host start: annotated ranges, absolute http(s) URLs, endpoint
/// names, the route table, status policies and signing secrets. A secret is never quoted in a failure, only its position.
/// </summary>
internal sealed class HttpDispatcherOptionsValidator : IValidateOptions<HttpDispatcherOptions>
{
    private const string Prefix = nameof(HttpDispatcherOptions);
    private const int MaxEndpointNameLength = 100;

    private readonly IOptions<OutboxOptions>? _outbox;

    public HttpDispatcherOptionsValidator(IOptions<OutboxOptions>? outbox = null) => _outbox = outbox;

    /// <inheritdoc />
    public ValidateOptionsResult Validate(string? name, HttpDispatcherOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var failures = new List<string>();
        AnnotatedOptions.Validate(options, Prefix, failures);
        Dictionary<string, HttpEndpointOptions> endpoints = options.Endpoints ?? [];
        if (options.Endpoint is { } endpoint)
        {
            ValidateUrl(endpoint, $"{Prefix}.{nameof(HttpDispatcherOptions.Endpoint)}", failures);
            if (endpoints.ContainsKey(HttpDispatcherOptions.DefaultEndpointName))
            {
                failures.Add($"{Prefix}.{nameof(HttpDispatcherOptions.Endpoints)}['{HttpDispatcherOptions.DefaultEndpointName}']: the name '{HttpDispatcherOptions.DefaultEndpointName}' is taken by {Prefix}.{nameof(HttpDispatcherOptions.Endpoint)}; rename the endpoint or remove {Prefix}.{nameof(HttpDispatcherOptions.Endpoint)}.");
            }
        }
        else if (endpoints.Count == 0)
        {
            failures.Add($"{Prefix}.{nameof(HttpDispatcherOptions.Endpoint)} = null: an absolute http or https URI is required (for example https://data-platform.internal/orders), unless {Prefix}.{nameof(HttpDispatcherOptions.Endpoints)} are configured.");
        }

        if (options.Source is not null && string.IsNullOrWhiteSpace(options.Source))
        {
            failures.Add($"{Prefix}.{nameof(HttpDispatcherOptions.Source)} = '{options.Source}': must be a non-blank URI reference (default urn:orderoutbox).");
        }

        OutboxOptions? engine = EngineOptions();
        ValidateRate(options.MaxRequestsPerSecond, $"{Prefix}.{nameof(HttpDispatcherOptions.MaxRequestsPerSecond)}", engine, failures);
        ValidateSecrets(options.SigningSecrets, $"{Prefix}.{nameof(HttpDispatcherOptions.SigningSecrets)}", failures);
        HttpStatusPolicy.Validate(options.StatusPolicy, $"{Prefix}.{nameof(HttpDispatcherOptions.StatusPolicy)}", failures);

        foreach ((string endpointName, HttpEndpointOptions? e) in endpoints)
        {
            string entry = $"{Prefix}.{nameof(HttpDispatcherOptions.Endpoints)}['{endpointName}']";
            if (!IsValidName(endpointName))
            {
                failures.Add($"{entry}: an endpoint name must be 1 to {MaxEndpointNameLength} letters, digits, '-', '_' or '.'.");
            }

            if (e is null)
            {
                failures.Add($"{entry} = null: endpoint options with a Url are required.");
                continue;
            }

            AnnotatedOptions.Validate(e, entry, failures);
            if (e.Url is { } url)
            {
                ValidateUrl(url, $"{entry}.{nameof(HttpEndpointOptions.Url)}", failures);
            }

            if (e.MaxRequestsPerSecond is { } rate)
            {
                ValidateRate(rate, $"{entry}.{nameof(HttpEndpointOptions.MaxRequestsPerSecond)}", engine, failures);
            }

            ValidateSecrets(e.SigningSecrets, $"{entry}.{nameof(HttpEndpointOptions.SigningSecrets)}", failures);
            HttpStatusPolicy.Validate(e.StatusPolicy, $"{entry}.{nameof(HttpEndpointOptions.StatusPolicy)}", failures);
        }

        bool IsEndpoint(string endpointName)
            => endpoints.ContainsKey(endpointName)
               || (options.Endpoint is not null && string.Equals(endpointName, HttpDispatcherOptions.DefaultEndpointName, StringComparison.OrdinalIgnoreCase));

        if (options.DefaultEndpoint is { } defaultEndpoint && !IsEndpoint(defaultEndpoint))
        {
            failures.Add($"{Prefix}.{nameof(HttpDispatcherOptions.DefaultEndpoint)} = '{defaultEndpoint}': no such endpoint; name one of {Prefix}.{nameof(HttpDispatcherOptions.Endpoints)} ({Names(endpoints.Keys)}).");
        }

        HttpRouteTable.Validate(options.Routes, IsEndpoint, $"{Prefix}.{nameof(HttpDispatcherOptions.Routes)}", failures);
        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }

    private static void ValidateUrl(Uri url, string option, List<string> failures)
    {
        if (!url.IsAbsoluteUri)
        {
            failures.Add($"{option} = '{url}': must be an absolute http or https URI, for example https://data-platform.internal/orders.");
        }
        else if (url.Scheme != Uri.UriSchemeHttp && url.Scheme != Uri.UriSchemeHttps)
        {
            failures.Add($"{option} = '{url}': the scheme '{url.Scheme}' is not allowed; use http or https.");
        }
    }

    /// <summary>The engine's options, or <see langword="null"/> when they are not registered or not valid (reported on their own).</summary>
    private OutboxOptions? EngineOptions()
    {
        try
        {
            return _outbox?.Value;
        }
        catch (OptionsValidationException)
        {
            return null;
        }
    }

    private static void ValidateRate(double rate, string option, OutboxOptions? engine, List<string> failures)
    {
        if (!double.IsFinite(rate))
        {
            failures.Add($"{option} = {rate.ToString(CultureInfo.InvariantCulture)}: must be a number from 0 (no limit) to 100,000.");
            return;
        }

        // Every worker may be waiting for its turn at once; the last one waits MaxConcurrency / rate, and a wait longer
        // than the call's timeout ends in a timeout that spends a retry without sending anything.
        if (engine is not null && rate > 0 && engine.MaxConcurrency / rate >= engine.DispatchTimeout.TotalSeconds)
        {
            double minimum = engine.MaxConcurrency / engine.DispatchTimeout.TotalSeconds;
            failures.Add(string.Create(
                CultureInfo.InvariantCulture,
                $"{option} = {rate}: with OutboxOptions.MaxConcurrency = {engine.MaxConcurrency} workers the last would wait {engine.MaxConcurrency / rate:0.###} s for its turn, not less than OutboxOptions.DispatchTimeout = {AnnotatedOptions.Format(engine.DispatchTimeout)}, and time out; allow more than {minimum:0.###} requests per second (MaxConcurrency / DispatchTimeout in seconds) or lower MaxConcurrency."));
        }
    }

    private static void ValidateSecrets(IList<string>? secrets, string option, List<string> failures)
    {
        if (secrets is null)
        {
            return;
        }

        for (int i = 0; i < secrets.Count; i++)
        {
            if (WebhookSigner.Describe(secrets[i]) is { } problem)
            {
                // The secret's text is never put in the message: it would end up in logs.
                failures.Add($"{option}[{i}] (value not shown): {problem}.");
            }
        }
    }

    private static bool IsValidName(string name)
        => name.Length is > 0 and <= MaxEndpointNameLength && name.All(static c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.');

    private static string Names(IEnumerable<string> names)
    {
        string list = string.Join(", ", names);
        return list.Length == 0 ? "none configured" : list;
    }
}
