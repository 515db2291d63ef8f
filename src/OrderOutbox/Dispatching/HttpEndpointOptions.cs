using System.ComponentModel.DataAnnotations;

namespace OrderOutbox.Dispatching;

/// <summary>
/// One named destination of the HTTP dispatcher (section <c>OrderOutbox:Http:Endpoints:{name}</c>). Message types are
/// sent to it through <see cref="HttpDispatcherOptions.Routes"/>. A setting left unset here is taken from the
/// top-level <see cref="HttpDispatcherOptions"/>.
/// </summary>
public sealed class HttpEndpointOptions
{
    /// <summary>The absolute <c>http</c> or <c>https</c> URI records are POSTed to. Required.</summary>
    [Required]
    public Uri? Url { get; set; }

    /// <summary>
    /// The longest a call to this endpoint may take; <see langword="null"/> for the engine's
    /// <see cref="OutboxOptions.DispatchTimeout"/> alone. The shorter of the two applies.
    /// </summary>
    /// <value>Default <see langword="null"/>; allowed 1 millisecond to 10 minutes.</value>
    [Range(typeof(TimeSpan), "00:00:00.001", "00:10:00")]
    public TimeSpan? Timeout { get; set; }

    /// <summary>
    /// Standard Webhooks secrets (<c>whsec_</c> + base64) this endpoint's requests are signed with;
    /// <see langword="null"/> to use <see cref="HttpDispatcherOptions.SigningSecrets"/>, empty to send unsigned.
    /// </summary>
    /// <value>Default <see langword="null"/> (inherit).</value>
    public IList<string>? SigningSecrets { get; set; }

    /// <summary>
    /// The most requests per second this instance sends to the endpoint; <see langword="null"/> to use
    /// <see cref="HttpDispatcherOptions.MaxRequestsPerSecond"/>, 0 for no limit.
    /// </summary>
    /// <value>Default <see langword="null"/> (inherit); allowed 0 to 100,000.</value>
    [Range(0d, 100_000d)]
    public double? MaxRequestsPerSecond { get; set; }

    /// <summary>
    /// How many requests may go at once after a quiet period; <see langword="null"/> to use
    /// <see cref="HttpDispatcherOptions.RateLimitBurst"/>, 0 for one second's worth of the rate.
    /// </summary>
    /// <value>Default <see langword="null"/> (inherit); allowed 0 to 100,000.</value>
    [Range(0, 100_000)]
    public int? RateLimitBurst { get; set; }

    /// <summary>
    /// Status codes this endpoint classifies differently, on top of <see cref="HttpDispatcherOptions.StatusPolicy"/>
    /// (a code named here wins). Keys are status codes from 100 to 599.
    /// </summary>
    /// <value>Default empty.</value>
    public Dictionary<string, HttpStatusKind> StatusPolicy { get; set; } = [];
}
