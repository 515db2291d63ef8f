using Microsoft.Extensions.Options;
using OrderOutbox.DependencyInjection;

namespace OrderOutbox.Dispatching;

/// <summary>Validates <see cref="HttpDispatcherOptions"/> at host start: annotated ranges and an absolute http(s) endpoint.</summary>
internal sealed class HttpDispatcherOptionsValidator : IValidateOptions<HttpDispatcherOptions>
{
    /// <inheritdoc />
    public ValidateOptionsResult Validate(string? name, HttpDispatcherOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var failures = new List<string>();
        AnnotatedOptions.Validate(options, nameof(HttpDispatcherOptions), failures);
        if (options.Endpoint is { } endpoint)
        {
            if (!endpoint.IsAbsoluteUri)
            {
                failures.Add($"{nameof(HttpDispatcherOptions)}.{nameof(HttpDispatcherOptions.Endpoint)} = '{endpoint}': must be an absolute http or https URI, for example https://data-platform.internal/orders.");
            }
            else if (endpoint.Scheme != Uri.UriSchemeHttp && endpoint.Scheme != Uri.UriSchemeHttps)
            {
                failures.Add($"{nameof(HttpDispatcherOptions)}.{nameof(HttpDispatcherOptions.Endpoint)} = '{endpoint}': the scheme '{endpoint.Scheme}' is not allowed; use http or https.");
            }
        }

        if (options.Source is not null && string.IsNullOrWhiteSpace(options.Source))
        {
            failures.Add($"{nameof(HttpDispatcherOptions)}.{nameof(HttpDispatcherOptions.Source)} = '{options.Source}': must be a non-blank URI reference (default urn:orderoutbox).");
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
