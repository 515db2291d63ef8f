using System.ComponentModel.DataAnnotations;

namespace OrderOutbox.Dispatching;

/// <summary>
/// Options of the HTTP dispatcher (section <c>OrderOutbox:Http</c>): each record is POSTed, with its stored payload as
/// the <c>application/json</c> body, to <see cref="Endpoint"/>, or to one of several named <see cref="Endpoints"/>
/// chosen by its message type through <see cref="Routes"/>.
/// </summary>
public sealed class HttpDispatcherOptions
{
    /// <summary>The name of the <see cref="System.Net.Http.IHttpClientFactory"/> client the dispatcher uses: <c>OrderOutbox</c>.
    /// Extend it with <c>services.AddHttpClient(HttpDispatcherOptions.HttpClientName).AddHttpMessageHandler(…)</c>.</summary>
    public const string HttpClientName = "OrderOutbox";

    /// <summary>The default configuration section, <c>OrderOutbox:Http</c>.</summary>
    public const string SectionName = "OrderOutbox:Http";

    /// <summary>The endpoint name under which <see cref="Endpoint"/> is known to <see cref="IOutboxRouter"/>: <c>default</c>.</summary>
    public const string DefaultEndpointName = "default";

    /// <summary>
    /// The absolute <c>http</c> or <c>https</c> URI records are POSTed to when there is a single destination, or the
    /// destination of every message type no route names (as the endpoint <c>default</c>). Required unless
    /// <see cref="Endpoints"/> are configured.
    /// </summary>
    public Uri? Endpoint { get; set; }

    /// <summary>
    /// Named destinations, each with its own URL, timeout, signing secrets, rate limit and status policy
    /// (section <c>OrderOutbox:Http:Endpoints:{name}</c>). Names are 1 to 100 letters, digits, <c>-</c>, <c>_</c> or <c>.</c>,
    /// compared ignoring case.
    /// </summary>
    /// <value>Default empty.</value>
    public Dictionary<string, HttpEndpointOptions> Endpoints { get; set; } = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>
    /// Message type → endpoint name. A key is an exact message type (<c>order.completed</c>) or a prefix ending in
    /// <c>.*</c> (<c>order.*</c> matches <c>order.completed</c> and <c>order.item.added</c>); an exact route wins over a
    /// prefix, and two prefixes may not overlap. A type no route matches goes to <see cref="DefaultEndpoint"/>, else to
    /// <see cref="Endpoint"/>; with neither, enqueueing it throws <see cref="ArgumentException"/>.
    /// </summary>
    /// <value>Default empty.</value>
    public Dictionary<string, string> Routes { get; set; } = new(StringComparer.Ordinal);

    /// <summary>
    /// The name of the endpoint (in <see cref="Endpoints"/>) that receives every message type no route matches;
    /// <see langword="null"/> to use <see cref="Endpoint"/> for them (when it is set).
    /// </summary>
    /// <value>Default <see langword="null"/>.</value>
    public string? DefaultEndpoint { get; set; }

    /// <summary>
    /// How status codes are classified, replacing single entries of the default table: keys are status codes from
    /// 100 to 599 (<c>"404"</c>), values <see cref="HttpStatusKind"/>. Applies to every endpoint; an endpoint's own
    /// <see cref="HttpEndpointOptions.StatusPolicy"/> wins over it. The default table is in the package README.
    /// </summary>
    /// <value>Default empty (the default table).</value>
    public Dictionary<string, HttpStatusKind> StatusPolicy { get; set; } = [];

    /// <summary>
    /// Standard Webhooks secrets (<c>whsec_</c> followed by base64 of 24 to 64 bytes) requests are signed with:
    /// each request then carries <c>webhook-id</c>, <c>webhook-timestamp</c> and <c>webhook-signature</c>, with one
    /// <c>v1,</c> signature per secret (give the old and the new secret while the receiver rotates). Empty: unsigned.
    /// The secrets are never logged.
    /// </summary>
    /// <value>Default empty.</value>
    public IList<string> SigningSecrets { get; set; } = [];

    /// <summary>
    /// The most requests per second this instance sends to each endpoint (shared by all its workers); 0 for no limit.
    /// With several instances, each has this budget.
    /// </summary>
    /// <value>Default 0 (no limit); allowed 0 to 100,000.</value>
    [Range(0d, 100_000d)]
    public double MaxRequestsPerSecond { get; set; }

    /// <summary>How many requests may go at once after a quiet period when <see cref="MaxRequestsPerSecond"/> is set;
    /// 0 for one second's worth of the rate.</summary>
    /// <value>Default 0; allowed 0 to 100,000.</value>
    [Range(0, 100_000)]
    public int RateLimitBurst { get; set; }

    /// <summary>The CloudEvents <c>ce-source</c> header value.</summary>
    /// <value>Default <c>urn:orderoutbox</c>.</value>
    [Required]
    [MinLength(1)]
    public string Source { get; set; } = "urn:orderoutbox";

    /// <summary>
    /// Whether every status the table classifies as <see cref="HttpStatusKind.MessageFault"/> (by default 400, 413,
    /// 415, 422 and unlisted 4xx) is retried like a 5xx instead of dead-lettered at once. Entries of
    /// <see cref="StatusPolicy"/> still win. Prefer <see cref="StatusPolicy"/> for new code.
    /// </summary>
    /// <value>Default <see langword="false"/>.</value>
    public bool RetryClientErrors { get; set; }

    /// <summary>How many characters of the response body are kept in <c>last_error</c>.</summary>
    /// <value>Default 512; allowed 0 to 4,000.</value>
    [Range(0, 4000)]
    public int MaxErrorBodyLength { get; set; } = 512;

    /// <summary>The longest <c>Retry-After</c> honoured; longer requests are capped at this.</summary>
    /// <value>Default 1 hour; allowed 1 second to 1 day.</value>
    [Range(typeof(TimeSpan), "00:00:01", "1.00:00:00")]
    public TimeSpan MaxRetryAfter { get; set; } = TimeSpan.FromHours(1);
}
