using System.Buffers;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;
using System.Runtime.CompilerServices;
using System.Text;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using OrderOutbox.Diagnostics;

namespace OrderOutbox.Dispatching;

/// <summary>
/// The default <see cref="IDispatcher"/>: POSTs the stored payload, byte for byte, to the endpoint the message type is
/// routed to (<see cref="HttpEndpointRegistry"/>) through the named client <see cref="HttpDispatcherOptions.HttpClientName"/>,
/// with an <c>Idempotency-Key</c>, CloudEvents binary-mode headers, the trace context captured at enqueue and, when
/// secrets are configured, Standard Webhooks signature headers.
/// </summary>
/// <remarks>
/// The answer is classified by the endpoint's status table (<see cref="HttpStatusPolicy"/>); network errors and the
/// endpoint's own timeout are transient. Each endpoint's rate limit is waited for before sending, and a
/// <c>Retry-After</c> on a 429 pauses the whole endpoint. The engine's cancellation token is the per-call timeout
/// (the named client's own timeout is infinite).
/// </remarks>
internal sealed partial class HttpDispatcher : IDispatcher
{
    private static readonly MediaTypeHeaderValue JsonContentType = new("application/json") { CharSet = "utf-8" };

    private readonly IHttpClientFactory _httpClientFactory;
    private readonly TimeProvider _timeProvider;
    private readonly ILogger _logger;
    private readonly HttpDispatcherOptions _options;
    private readonly HttpEndpointRegistry _endpoints;
    private readonly string _source;

    public HttpDispatcher(IHttpClientFactory httpClientFactory, IOptions<HttpDispatcherOptions> options, HttpEndpointRegistry endpoints, TimeProvider timeProvider, ILogger<HttpDispatcher> logger)
    {
        _httpClientFactory = httpClientFactory;
        _options = options.Value;
        _endpoints = endpoints;
        _timeProvider = timeProvider;
        _logger = logger;
        _source = CloudEventsHeader.Encode(_options.Source);
    }

    /// <inheritdoc />
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    public async ValueTask<DispatchResult> DispatchAsync(OutboxMessage message, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(message);
        if (!_endpoints.TryGetHttpEndpoint(message.MessageType, out HttpEndpoint? endpoint))
        {
            // A configuration error (the route table changed after the record was stored): retrying cannot help, so it
            // is dead-lettered at once, to be requeued once the route exists.
            LogNoRoute(message.Id, message.MessageType);
            return DispatchResult.Permanent($"No route for message type '{message.MessageType}': add it to HttpDispatcherOptions.Routes or set HttpDispatcherOptions.DefaultEndpoint, then requeue this dead letter.");
        }

        TimeSpan paused = endpoint.Limiter.PausedFor();
        if (paused > TimeSpan.Zero)
        {
            // The receiver asked the whole endpoint to wait (429 with Retry-After): nothing is sent until then.
            // Not sent, so no retry is spent: the record is due again when the pause ends.
            return DispatchResult.NotSent(
                string.Create(CultureInfo.InvariantCulture, $"Endpoint '{endpoint.Name}' is paused for {paused.TotalSeconds:0.###} s more, as its last Retry-After asked; not sent."),
                paused);
        }

        CancellationTokenSource? timeout = null;
        CancellationTokenSource? linked = null;
        CancellationToken token = cancellationToken;
        if (endpoint.Timeout is { } endpointTimeout)
        {
            timeout = new CancellationTokenSource(endpointTimeout, _timeProvider);
            linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, timeout.Token);
            token = linked.Token;
        }

        try
        {
            await endpoint.Limiter.AcquireAsync(token).ConfigureAwait(false);
            return await SendAsync(endpoint, message, token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            throw; // the engine's timeout or shutdown: the engine classifies it
        }
        catch (OperationCanceledException) when (timeout is not null && timeout.IsCancellationRequested)
        {
            string error = string.Create(CultureInfo.InvariantCulture, $"Timed out after {endpoint.Timeout!.Value.TotalSeconds:0.###} s (endpoint '{endpoint.Name}' Timeout).");
            LogNetworkFailure(message.Id, error);
            return DispatchResult.Transient(error);
        }
        finally
        {
            linked?.Dispose();
            timeout?.Dispose();
        }
    }

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<DispatchResult> SendAsync(HttpEndpoint endpoint, OutboxMessage message, CancellationToken cancellationToken)
    {
        HttpClient client = _httpClientFactory.CreateClient(HttpDispatcherOptions.HttpClientName);
        using var request = new HttpRequestMessage(HttpMethod.Post, endpoint.Url);

        // The payload encoded once, straight into the body (StringContent would also build and parse a text/plain type).
        var content = new ByteArrayContent(Encoding.UTF8.GetBytes(message.Payload));
        content.Headers.ContentType = JsonContentType;
        request.Content = content;
        string id = message.Id.ToString("D");
        AddHeaders(request.Headers, message, id);
        if (endpoint.Signer is { } signer)
        {
            AddSignature(request.Headers, signer, message, id);
        }

        LogSending(message.Id, message.MessageType, message.Payload);
        try
        {
            using HttpResponseMessage response = await client
                .SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken)
                .ConfigureAwait(false);
            int status = (int)response.StatusCode;
            HttpStatusKind kind = endpoint.StatusPolicy.Classify(status);
            if (kind == HttpStatusKind.Success)
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

            TimeSpan? retryAfter = kind == HttpStatusKind.MessageFault ? null : GetRetryAfter(response);
            if (status == 429 && retryAfter is { } pause)
            {
                endpoint.Limiter.Pause(pause);
                LogEndpointPaused(endpoint.Name, pause.TotalSeconds);
            }

            return kind switch
            {
                HttpStatusKind.MessageFault => DispatchResult.Permanent(error),
                HttpStatusKind.EndpointFault => DispatchResult.EndpointFault(error, retryAfter),
                _ => DispatchResult.Transient(error, retryAfter),
            };
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            throw; // a timeout: classified by the caller
        }
        catch (Exception ex) when (ex is HttpRequestException or IOException or SocketException or OperationCanceledException)
        {
            string error = Describe(ex);
            LogNetworkFailure(message.Id, error);
            return DispatchResult.Transient(error);
        }
    }

    private void AddSignature(HttpRequestHeaders headers, WebhookSigner signer, OutboxMessage message, string id)
    {
        long timestamp = _timeProvider.GetUtcNow().ToUnixTimeSeconds();
        headers.TryAddWithoutValidation("webhook-id", id);
        headers.TryAddWithoutValidation("webhook-timestamp", timestamp.ToString(CultureInfo.InvariantCulture));
        headers.TryAddWithoutValidation("webhook-signature", signer.Sign(id, timestamp, message.Payload));
    }

    private void AddHeaders(HttpRequestHeaders headers, OutboxMessage message, string id)
    {
        headers.TryAddWithoutValidation("Idempotency-Key", id);
        headers.TryAddWithoutValidation("ce-specversion", "1.0");
        headers.TryAddWithoutValidation("ce-id", id);
        headers.TryAddWithoutValidation("ce-source", _source);
        headers.TryAddWithoutValidation("ce-type", CloudEventsHeader.Encode(message.MessageType));
        // "O" of a UTC DateTime is yyyy-MM-ddTHH:mm:ss.fffffffZ, through the runtime's fast path.
        headers.TryAddWithoutValidation("ce-time", message.CreatedAt.UtcDateTime.ToString("O", CultureInfo.InvariantCulture));
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
            AddTraceState(headers, message.Id, current.TraceStateString);
        }
        else if (TraceHeaders.TryRead(message.Headers, out string? traceParent, out string? traceState) && traceParent is not null)
        {
            if (!HeaderValue.IsSendable(traceParent))
            {
                LogUnsendableHeader(message.Id, TraceHeaders.TraceParent); // and its tracestate, meaningless without it
                return;
            }

            headers.TryAddWithoutValidation(TraceHeaders.TraceParent, traceParent);
            AddTraceState(headers, message.Id, traceState);
        }
    }

    /// <summary>Adds a tracestate (stored, or continued from it by the dispatch span) unless it holds characters a header cannot carry.</summary>
    private void AddTraceState(HttpRequestHeaders headers, Guid messageId, string? traceState)
    {
        if (string.IsNullOrEmpty(traceState))
        {
            return;
        }

        if (HeaderValue.IsSendable(traceState))
        {
            headers.TryAddWithoutValidation(TraceHeaders.TraceState, traceState);
        }
        else
        {
            LogUnsendableHeader(messageId, TraceHeaders.TraceState);
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
