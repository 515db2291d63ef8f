using System.Buffers;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;
using System.Text;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using OrderOutbox.Diagnostics;

namespace OrderOutbox.Dispatching;

/// <summary>
/// The default <see cref="IDispatcher"/>: POSTs the stored payload, byte for byte, to
/// <see cref="HttpDispatcherOptions.Endpoint"/> through the named client <see cref="HttpDispatcherOptions.HttpClientName"/>,
/// with an <c>Idempotency-Key</c>, CloudEvents binary-mode headers and the trace context captured at enqueue.
/// </summary>
/// <remarks>
/// 2xx is a success; 408, 429, 5xx, network errors are transient (a <c>Retry-After</c> can lengthen the wait);
/// other answers are permanent unless <see cref="HttpDispatcherOptions.RetryClientErrors"/>. The per-call timeout is the
/// engine's cancellation token (the named client's own timeout is infinite).
/// </remarks>
internal sealed partial class HttpDispatcher : IDispatcher
{
    private static readonly MediaTypeHeaderValue JsonContentType = new("application/json") { CharSet = "utf-8" };

    private readonly IHttpClientFactory _httpClientFactory;
    private readonly TimeProvider _timeProvider;
    private readonly ILogger _logger;
    private readonly HttpDispatcherOptions _options;
    private readonly Uri _endpoint;
    private readonly string _source;

    public HttpDispatcher(IHttpClientFactory httpClientFactory, IOptions<HttpDispatcherOptions> options, TimeProvider timeProvider, ILogger<HttpDispatcher> logger)
    {
        _httpClientFactory = httpClientFactory;
        _options = options.Value;
        _timeProvider = timeProvider;
        _logger = logger;
        _endpoint = _options.Endpoint ?? throw new InvalidOperationException("HttpDispatcherOptions.Endpoint is required: set it in UseHttpDispatcher(http => http.Endpoint = new Uri(\"https://…\")).");
        _source = CloudEventsHeader.Encode(_options.Source);
    }

    /// <inheritdoc />
    public async ValueTask<DispatchResult> DispatchAsync(OutboxMessage message, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(message);
        HttpClient client = _httpClientFactory.CreateClient(HttpDispatcherOptions.HttpClientName);
        using var request = new HttpRequestMessage(HttpMethod.Post, _endpoint);
        var content = new StringContent(message.Payload, Encoding.UTF8);
        content.Headers.ContentType = JsonContentType;
        request.Content = content;
        AddHeaders(request.Headers, message);
        LogSending(message.Id, message.MessageType, message.Payload);

        try
        {
            using HttpResponseMessage response = await client
                .SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken)
                .ConfigureAwait(false);
            int status = (int)response.StatusCode;
            if (status is >= 200 and <= 299)
            {
                LogDelivered(message.Id, status);
                return DispatchResult.Success;
            }

            string statusLine = StatusLine(response);
            string body = await ReadBodyStartAsync(response, _options.MaxErrorBodyLength, cancellationToken).ConfigureAwait(false);
            string error = body.Length == 0 ? statusLine : statusLine + ": " + body;

            // The status line is safe to log; the body is not (receivers that echo the request put payload data in it).
            LogRefused(message.Id, statusLine);
            if (body.Length > 0)
            {
                LogRefusedBody(message.Id, status, body);
            }

            if (status is 408 or 429 or >= 500)
            {
                return DispatchResult.Transient(error, GetRetryAfter(response));
            }

            return _options.RetryClientErrors
                ? DispatchResult.Transient(error, GetRetryAfter(response))
                : DispatchResult.Permanent(error);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            throw; // the engine's timeout or shutdown: the engine classifies it
        }
        catch (Exception ex) when (ex is HttpRequestException or IOException or SocketException or OperationCanceledException)
        {
            string error = Describe(ex);
            LogNetworkFailure(message.Id, error);
            return DispatchResult.Transient(error);
        }
    }

    private void AddHeaders(HttpRequestHeaders headers, OutboxMessage message)
    {
        string id = message.Id.ToString("D");
        headers.TryAddWithoutValidation("Idempotency-Key", id);
        headers.TryAddWithoutValidation("ce-specversion", "1.0");
        headers.TryAddWithoutValidation("ce-id", id);
        headers.TryAddWithoutValidation("ce-source", _source);
        headers.TryAddWithoutValidation("ce-type", CloudEventsHeader.Encode(message.MessageType));
        headers.TryAddWithoutValidation("ce-time", message.CreatedAt.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fffffff'Z'", CultureInfo.InvariantCulture));
        if (!string.IsNullOrEmpty(message.AggregateId))
        {
            headers.TryAddWithoutValidation("ce-subject", CloudEventsHeader.Encode(message.AggregateId));
        }

        // The dispatch span (when traced) continues the enqueue trace, so it is the better parent; otherwise the
        // context captured at enqueue is passed on as it was.
        Activity? current = Activity.Current;
        if (current is { IdFormat: ActivityIdFormat.W3C, Id: { } currentId })
        {
            headers.TryAddWithoutValidation(TraceHeaders.TraceParent, currentId);
            if (!string.IsNullOrEmpty(current.TraceStateString))
            {
                headers.TryAddWithoutValidation(TraceHeaders.TraceState, current.TraceStateString);
            }
        }
        else if (TraceHeaders.TryRead(message.Headers, out string? traceParent, out string? traceState) && traceParent is not null)
        {
            headers.TryAddWithoutValidation(TraceHeaders.TraceParent, traceParent);
            if (!string.IsNullOrEmpty(traceState))
            {
                headers.TryAddWithoutValidation(TraceHeaders.TraceState, traceState);
            }
        }
    }

    private static string StatusLine(HttpResponseMessage response)
    {
        string reason = string.IsNullOrEmpty(response.ReasonPhrase) ? response.StatusCode.ToString() : response.ReasonPhrase;
        return string.Create(CultureInfo.InvariantCulture, $"HTTP {(int)response.StatusCode} {reason}");
    }

    private static async Task<string> ReadBodyStartAsync(HttpResponseMessage response, int maxChars, CancellationToken cancellationToken)
    {
        if (maxChars <= 0)
        {
            return string.Empty;
        }

        int maxBytes = (maxChars * 4) + 4;
        byte[] buffer = ArrayPool<byte>.Shared.Rent(maxBytes);
        try
        {
            Stream stream = await response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
            await using (stream.ConfigureAwait(false))
            {
                int total = 0;
                while (total < maxBytes)
                {
                    int read = await stream.ReadAsync(buffer.AsMemory(total, maxBytes - total), cancellationToken).ConfigureAwait(false);
                    if (read == 0)
                    {
                        break;
                    }

                    total += read;
                }

                string text = Encoding.UTF8.GetString(buffer, 0, total).Trim();
                return Internal.OutboxText.Truncate(text, maxChars);
            }
        }
        catch (Exception ex) when (ex is HttpRequestException or IOException)
        {
            return string.Empty; // the status line is enough
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private TimeSpan? GetRetryAfter(HttpResponseMessage response)
    {
        RetryConditionHeaderValue? retryAfter = response.Headers.RetryAfter;
        if (retryAfter is null)
        {
            return null;
        }

        TimeSpan? wait = retryAfter.Delta ?? (retryAfter.Date is { } date ? date - _timeProvider.GetUtcNow() : null);
        if (wait is not { } value || value <= TimeSpan.Zero)
        {
            return null;
        }

        return value > _options.MaxRetryAfter ? _options.MaxRetryAfter : value;
    }

    private static string Describe(Exception ex)
    {
        // The innermost socket error says more ("Connection refused") than the wrapper.
        string text = ex.GetType().Name + ": " + ex.Message;
        if (ex.InnerException is { } inner && inner.Message != ex.Message)
        {
            text += " (" + inner.GetType().Name + ": " + inner.Message + ")";
        }

        return text;
    }
}
