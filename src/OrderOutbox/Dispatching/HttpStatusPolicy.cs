using System.Globalization;

namespace OrderOutbox.Dispatching;

/// <summary>
/// The status classification table: an HTTP status code → <see cref="HttpStatusKind"/>. The defaults come from
/// <see cref="Default"/>; entries of <see cref="HttpDispatcherOptions.StatusPolicy"/> (and of an endpoint's own
/// <see cref="HttpEndpointOptions.StatusPolicy"/>) replace single codes. Pure and immutable once built.
/// </summary>
internal sealed class HttpStatusPolicy
{
    /// <summary>The lowest and highest status code a policy entry may name.</summary>
    public const int MinStatus = 100;

    /// <inheritdoc cref="MinStatus"/>
    public const int MaxStatus = 599;

    private readonly HttpStatusKind[] _table;

    private HttpStatusPolicy(HttpStatusKind[] table) => _table = table;

    /// <summary>The policy with no overrides.</summary>
    public static HttpStatusPolicy Defaults { get; } = Build(null, null, retryClientErrors: false);

    /// <summary>
    /// The default kind of a status code: 2xx success; 400, 413, 415, 422 and any other 4xx not named below message
    /// faults; 401, 403, 404, 405, 410, 421 and 3xx (redirects are not followed, so an answered redirect means a
    /// misconfigured URL) endpoint faults; 408, 429, 5xx and anything else transient.
    /// </summary>
    public static HttpStatusKind Default(int status) => status switch
    {
        >= 200 and <= 299 => HttpStatusKind.Success,
        >= 300 and <= 399 => HttpStatusKind.EndpointFault,
        401 or 403 or 404 or 405 or 410 or 421 => HttpStatusKind.EndpointFault,
        408 or 429 => HttpStatusKind.Transient,
        >= 400 and <= 499 => HttpStatusKind.MessageFault,
        _ => HttpStatusKind.Transient,
    };

    /// <summary>
    /// Builds the table: the defaults, with every <see cref="HttpStatusKind.MessageFault"/> made
    /// <see cref="HttpStatusKind.Transient"/> when <paramref name="retryClientErrors"/> (the older switch), then the
    /// entries of <paramref name="inherited"/> and then of <paramref name="own"/> (later wins). Keys must already be valid
    /// (see <see cref="TryParseStatus"/>).
    /// </summary>
    public static HttpStatusPolicy Build(IReadOnlyDictionary<string, HttpStatusKind>? inherited, IReadOnlyDictionary<string, HttpStatusKind>? own, bool retryClientErrors)
    {
        var table = new HttpStatusKind[MaxStatus + 1];
        for (int status = 0; status <= MaxStatus; status++)
        {
            HttpStatusKind kind = Default(status);
            table[status] = retryClientErrors && kind == HttpStatusKind.MessageFault ? HttpStatusKind.Transient : kind;
        }

        Apply(table, inherited);
        Apply(table, own);
        return new HttpStatusPolicy(table);
    }

    /// <summary>The kind of <paramref name="status"/>; codes outside 100–599 are transient.</summary>
    public HttpStatusKind Classify(int status) => (uint)status < (uint)_table.Length && status >= MinStatus ? _table[status] : HttpStatusKind.Transient;

    /// <summary>Parses a policy key: a three-digit status code from 100 to 599.</summary>
    public static bool TryParseStatus(string? key, out int status)
        => int.TryParse(key, NumberStyles.None, CultureInfo.InvariantCulture, out status) && status is >= MinStatus and <= MaxStatus;

    /// <summary>Checks the entries of one policy dictionary; each failure names the option, the key and the allowed values.</summary>
    public static void Validate(IReadOnlyDictionary<string, HttpStatusKind>? policy, string optionName, List<string> failures)
    {
        if (policy is null)
        {
            return;
        }

        foreach ((string key, HttpStatusKind kind) in policy)
        {
            if (!TryParseStatus(key, out _))
            {
                failures.Add($"{optionName}['{key}']: the key must be an HTTP status code from {MinStatus} to {MaxStatus}, for example \"404\".");
            }

            if (!Enum.IsDefined(kind))
            {
                failures.Add($"{optionName}['{key}'] = {(int)kind}: must be one of Success, MessageFault, EndpointFault, Transient.");
            }
        }
    }

    private static void Apply(HttpStatusKind[] table, IReadOnlyDictionary<string, HttpStatusKind>? entries)
    {
        if (entries is null)
        {
            return;
        }

        foreach ((string key, HttpStatusKind kind) in entries)
        {
            if (TryParseStatus(key, out int status))
            {
                table[status] = kind;
            }
        }
    }
}
