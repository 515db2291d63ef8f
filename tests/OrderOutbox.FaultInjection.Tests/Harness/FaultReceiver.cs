using System.Collections.Concurrent;
using System.Net;
using System.Security.Cryptography;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace OrderOutbox.FaultInjection.Tests.Harness;

/// <summary>
/// The external API of the scenarios: Kestrel on 127.0.0.1 that records every request and every delivery
/// (message ID from <c>Idempotency-Key</c>, SHA-256 of the body, time) and injects faults from a <see cref="FaultPlan"/>.
/// A delivery is a request answered 200; a request whose client went away first is not one.
/// </summary>
internal sealed class FaultReceiver : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly ConcurrentDictionary<Guid, MessageLog> _messages = new();
    private readonly ConcurrentQueue<Delivery> _deliveries = new();
    private FaultPlan _plan = FaultPlan.Healthy;
    private int _inFlight;
    private long _requests;
    private long _aborted;
    private long _protocolErrors;

    private FaultReceiver(WebApplication app) => _app = app;

    public Uri Endpoint { get; private set; } = null!;

    public FaultPlan Plan
    {
        get => Volatile.Read(ref _plan);
        set => Volatile.Write(ref _plan, value);
    }

    /// <summary>Requests being handled right now.</summary>
    public int InFlight => Volatile.Read(ref _inFlight);

    public long Requests => Interlocked.Read(ref _requests);

    /// <summary>Requests whose client went away before the answer (timeouts, shutdowns, kills).</summary>
    public long Aborted => Interlocked.Read(ref _aborted);

    /// <summary>Requests without a parsable <c>Idempotency-Key</c> or body: must stay 0.</summary>
    public long ProtocolErrors => Interlocked.Read(ref _protocolErrors);

    public IReadOnlyCollection<Delivery> Deliveries => _deliveries.ToArray();

    /// <summary>The number of distinct messages delivered (answered 200) so far.</summary>
    public int DeliveredCount => _messages.Values.Count(m => m.Delivered > 0);

    public static async Task<FaultReceiver> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseKestrel(k =>
        {
            k.Listen(IPAddress.Loopback, 0);
            k.Limits.MaxRequestBodySize = 16 * 1024 * 1024;
        });
        var app = builder.Build();
        var receiver = new FaultReceiver(app);
        app.MapPost("/orders", receiver.HandleAsync);
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        receiver.Endpoint = new Uri(new Uri(address), "/orders");
        return receiver;
    }

    /// <summary>A snapshot of one message's history at the receiver.</summary>
    public MessageLog? Get(Guid id) => _messages.TryGetValue(id, out var log) ? log : null;

    public IReadOnlyDictionary<Guid, MessageLog> Snapshot() => new Dictionary<Guid, MessageLog>(_messages);

    public async ValueTask DisposeAsync()
    {
        using (var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5)))
        {
            await _app.StopAsync(timeout.Token);
        }

        await _app.DisposeAsync();
    }

    private async Task HandleAsync(HttpContext context)
    {
        Interlocked.Increment(ref _requests);
        Interlocked.Increment(ref _inFlight);
        try
        {
            await HandleCoreAsync(context);
        }
        catch (OperationCanceledException) when (context.RequestAborted.IsCancellationRequested)
        {
            Interlocked.Increment(ref _aborted);
        }
        catch (IOException) when (context.RequestAborted.IsCancellationRequested)
        {
            Interlocked.Increment(ref _aborted);
        }
        finally
        {
            Interlocked.Decrement(ref _inFlight);
        }
    }

    private async Task HandleCoreAsync(HttpContext context)
    {
        var aborted = context.RequestAborted;
        using var buffer = new MemoryStream();
        await context.Request.Body.CopyToAsync(buffer, aborted);
        var body = buffer.ToArray();

        if (!Guid.TryParse(context.Request.Headers["Idempotency-Key"].ToString(), out var id)
            || !TryReadOrder(body, out var orderNo, out var poison))
        {
            Interlocked.Increment(ref _protocolErrors);
            context.Response.StatusCode = StatusCodes.Status422UnprocessableEntity;
            return;
        }

        var log = _messages.GetOrAdd(id, static (key, no) => new MessageLog(key, no), orderNo);
        var attempt = log.RecordAttempt();
        var plan = Plan;

        if (plan.Down)
        {
            switch (attempt % 3)
            {
                case 0:
                    context.Response.StatusCode = StatusCodes.Status503ServiceUnavailable;
                    return;
                case 1:
                    context.Abort();
                    return;
                default:
                    context.Response.StatusCode = StatusCodes.Status429TooManyRequests;
                    context.Response.Headers.RetryAfter = plan.RetryAfterSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
                    return;
            }
        }

        if (poison && plan.RejectPoison)
        {
            context.Response.StatusCode = StatusCodes.Status400BadRequest;
            await context.Response.WriteAsync("poison payload: permanently rejected", aborted);
            return;
        }

        var draw = plan.Draw(orderNo, attempt, salt: 1);
        var edge = plan.ServiceUnavailableRate;
        if (draw < edge)
        {
            context.Response.StatusCode = StatusCodes.Status503ServiceUnavailable;
            return;
        }

        if (draw < (edge += plan.HangRate))
        {
            await Task.Delay(plan.HangFor, aborted);
            context.Response.StatusCode = StatusCodes.Status503ServiceUnavailable;
            return;
        }

        if (draw < (edge += plan.ResetRate))
        {
            context.Abort();
            return;
        }

        if (draw < edge + plan.TooManyRequestsRate)
        {
            context.Response.StatusCode = StatusCodes.Status429TooManyRequests;
            context.Response.Headers.RetryAfter = plan.RetryAfterSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
            return;
        }

        if (plan.MaxLatency > TimeSpan.Zero)
        {
            var span = (plan.MaxLatency - plan.MinLatency).TotalMilliseconds;
            var latency = plan.MinLatency + TimeSpan.FromMilliseconds(span * plan.Draw(orderNo, attempt, salt: 2));
            await Task.Delay(latency, aborted);
        }

        aborted.ThrowIfCancellationRequested();
        var hash = Convert.ToHexStringLower(SHA256.HashData(body));
        log.RecordDelivery(hash);
        _deliveries.Enqueue(new Delivery(id, orderNo, hash, DateTimeOffset.UtcNow));
        context.Response.StatusCode = StatusCodes.Status200OK;
    }

    private static bool TryReadOrder(byte[] body, out long orderNo, out bool poison)
    {
        orderNo = 0;
        poison = false;
        try
        {
            using var document = JsonDocument.Parse(body);
            var root = document.RootElement;
            if (!root.TryGetProperty("orderNo", out var no) || !no.TryGetInt64(out orderNo))
            {
                return false;
            }

            poison = root.TryGetProperty("poison", out var p) && p.ValueKind == JsonValueKind.True;
            return true;
        }
        catch (JsonException)
        {
            return false;
        }
    }

    /// <summary>One delivery (a 200 answer).</summary>
    internal sealed record Delivery(Guid Id, long OrderNo, string BodySha256, DateTimeOffset At);

    /// <summary>Everything the receiver saw of one message.</summary>
    internal sealed class MessageLog(Guid id, long orderNo)
    {
        private readonly Lock _gate = new();
        private readonly HashSet<string> _hashes = [];
        private int _attempts;
        private int _delivered;

        public Guid Id { get; } = id;

        public long OrderNo { get; } = orderNo;

        public int Attempts => Volatile.Read(ref _attempts);

        public int Delivered => Volatile.Read(ref _delivered);

        public IReadOnlyCollection<string> BodyHashes
        {
            get
            {
                lock (_gate)
                {
                    return [.. _hashes];
                }
            }
        }

        public int RecordAttempt() => Interlocked.Increment(ref _attempts) - 1;

        public void RecordDelivery(string hash)
        {
            lock (_gate)
            {
                _hashes.Add(hash);
                _delivered++;
            }
        }
    }
}
