using System.Diagnostics.CodeAnalysis;

namespace OrderOutbox.Dispatching;

/// <summary>
/// Matches a message type against the route table: an exact route first, then the one prefix route (<c>order.*</c>)
/// that covers it, then the default. Pure and immutable; <see cref="Validate"/> states the rules the table must keep.
/// </summary>
internal sealed class HttpRouteTable
{
    private const string PrefixSuffix = ".*";

    private readonly Dictionary<string, string> _exact;
    private readonly (string Prefix, string Endpoint)[] _prefixes;
    private readonly string? _default;

    public HttpRouteTable(IReadOnlyDictionary<string, string> routes, string? defaultEndpoint)
    {
        _exact = new Dictionary<string, string>(StringComparer.Ordinal);
        var prefixes = new List<(string, string)>();
        foreach ((string pattern, string endpoint) in routes)
        {
            if (IsPrefix(pattern))
            {
                prefixes.Add((pattern[..^1], endpoint)); // "order.*" matches types starting with "order."
            }
            else
            {
                _exact[pattern] = endpoint;
            }
        }

        _prefixes = [.. prefixes];
        _default = defaultEndpoint;
    }

    /// <summary>The endpoint of <paramref name="messageType"/>, or <see langword="false"/> when nothing matches.</summary>
    public bool TryMatch(string messageType, [NotNullWhen(true)] out string? endpoint)
    {
        if (_exact.TryGetValue(messageType, out endpoint))
        {
            return true;
        }

        foreach ((string prefix, string target) in _prefixes)
        {
            if (messageType.StartsWith(prefix, StringComparison.Ordinal))
            {
                endpoint = target;
                return true;
            }
        }

        endpoint = _default;
        return endpoint is not null;
    }

    /// <summary>
    /// Checks a route table: keys are message types or <c>prefix.*</c>, no two keys differ only by case
    /// (configuration could not tell them apart), no prefix covers another, and every target is a known endpoint.
    /// </summary>
    public static void Validate(IReadOnlyDictionary<string, string>? routes, Func<string, bool> isEndpoint, string optionName, List<string> failures)
    {
        if (routes is null)
        {
            failures.Add($"{optionName} = null: a route table is required (it may be empty).");
            return;
        }

        var seen = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        var prefixes = new List<string>();
        foreach ((string pattern, string endpoint) in routes)
        {
            string entry = $"{optionName}['{pattern}']";
            if (string.IsNullOrWhiteSpace(pattern) || pattern.Trim() != pattern)
            {
                failures.Add($"{entry}: a route key must be a message type or a prefix ending in .* (for example order.*), without surrounding white space.");
                continue;
            }

            int star = pattern.IndexOf('*', StringComparison.Ordinal);
            if (star >= 0 && (!IsPrefix(pattern) || star != pattern.Length - 1 || pattern.Length <= PrefixSuffix.Length))
            {
                failures.Add($"{entry}: '*' is allowed only as the last segment of a prefix route such as order.*; use {nameof(HttpDispatcherOptions)}.{nameof(HttpDispatcherOptions.DefaultEndpoint)} to catch every other type.");
                continue;
            }

            if (seen.TryGetValue(pattern, out string? other))
            {
                failures.Add($"{entry}: duplicates the route '{other}' (route keys are compared ignoring case, as configuration keys are).");
                continue;
            }

            seen.Add(pattern, pattern);
            if (IsPrefix(pattern))
            {
                prefixes.Add(pattern);
            }

            if (string.IsNullOrWhiteSpace(endpoint))
            {
                failures.Add($"{entry} = '{endpoint}': must name an endpoint.");
            }
            else if (!isEndpoint(endpoint))
            {
                failures.Add($"{entry} = '{endpoint}': no such endpoint; configure it under {nameof(HttpDispatcherOptions)}.{nameof(HttpDispatcherOptions.Endpoints)}['{endpoint}'].");
            }
        }

        foreach (string a in prefixes)
        {
            foreach (string b in prefixes)
            {
                if (a != b && b[..^1].StartsWith(a[..^1], StringComparison.OrdinalIgnoreCase))
                {
                    failures.Add($"{optionName}['{b}']: overlaps the route '{a}' (every type matching '{b}' also matches '{a}'); keep one, or list the types of one of them exactly.");
                }
            }
        }
    }

    private static bool IsPrefix(string pattern) => pattern.EndsWith(PrefixSuffix, StringComparison.Ordinal);
}
