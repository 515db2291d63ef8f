using System.ComponentModel.DataAnnotations;

namespace OrderOutbox.Dispatching;

/// <summary>
/// Options of the HTTP dispatcher (section <c>OrderOutbox:Http</c>): each record is POSTed to
/// <see cref="Endpoint"/> with its stored payload as the <c>application/json</c> body.
/// </summary>
public sealed class HttpDispatcherOptions
{
    /// <summary>The name of the <see cref="System.Net.Http.IHttpClientFactory"/> client the dispatcher uses: <c>OrderOutbox</c>.
    /// Extend it with <c>services.AddHttpClient(HttpDispatcherOptions.HttpClientName).AddHttpMessageHandler(…)</c>.</summary>
    public const string HttpClientName = "OrderOutbox";

    /// <summary>The default configuration section, <c>OrderOutbox:Http</c>.</summary>
    public const string SectionName = "OrderOutbox:Http";

    /// <summary>The absolute <c>http</c> or <c>https</c> URI records are POSTed to. Required.</summary>
    [Required]
    public Uri? Endpoint { get; set; }

    /// <summary>The CloudEvents <c>ce-source</c> header value.</summary>
    /// <value>Default <c>urn:orderoutbox</c>.</value>
    [Required]
    [MinLength(1)]
    public string Source { get; set; } = "urn:orderoutbox";

    /// <summary>
    /// Whether 4xx answers other than 408 and 429 are retried like 5xx. When <see langword="false"/>, they are
    /// permanent and the record is dead-lettered at once.
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
