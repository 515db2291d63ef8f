using System.Diagnostics;
using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace OrderOutbox.Tests.EndToEnd;

/// <summary>
/// The "external data platform": a real Kestrel server on 127.0.0.1 (port chosen by the OS). It records every request
/// (the <c>Idempotency-Key</c>, the raw body, the headers, the arrival time and the answer it gave) and answers with the
/// status code chosen by <see cref="Respond"/>, which sees the delivery and its attempt number (1-based, per
/// <c>Idempotency-Key</c>). Tests wait for deliveries with <see cref="WaitForAsync"/>, which is woken by each arrival.
/// </summary>
internal sealed class EndToEndReceiver : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly ObservedList<Delivery> _deliveries = new();
    private readonly Dictionary<string, int> _attempts = new(StringComparer.Ordinal);

    private EndToEndReceiver(WebApplication app) => _app = app;

    /// <summary>The URL the dispatcher POSTs to.</summary>
    public Uri Endpoint { get; private set; } = null!;

    /// <summary>
    /// Chooses the answer's status code from the request and its attempt number. Default: 200. May be replaced while
    /// the receiver runs ("the receiver is fixed").
    /// </summary>
    public Func<Delivery, int> Respond { get; set; } = static _ => StatusCodes.Status200OK;

    /// <summary>A snapshot of every request received so far, in arrival order.</summary>
    public IReadOnlyList<Delivery> Deliveries => _deliveries.Snapshot();

    public static async Task<EndToEndReceiver> StartAsync()
    {
        WebApplicationBuilder builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseKestrel(o => o.Listen(IPAddress.Loopback, 0));
        WebApplication app = builder.Build();
        var receiver = new EndToEndReceiver(app);
        app.Run(receiver.HandleAsync);
        await app.StartAsync();
        string address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        receiver.Endpoint = new Uri(new Uri(address + "/"), "orders/completed");
        return receiver;
    }

    /// <summary>
    /// Waits until <paramref name="condition"/> holds for the requests received so far, re-checking at each arrival.
    /// Fails the test, saying what was received, when <paramref name="timeout"/> passes first.
    /// </summary>
    public Task<IReadOnlyList<Delivery>> WaitForAsync(
        Func<IReadOnlyList<Delivery>, bool> condition, TimeSpan timeout, string what, CancellationToken cancellationToken)
        => _deliveries.WaitForAsync(
            condition,
            timeout,
            what,
            static seen => $"{seen.Count} requests ({seen.Select(d => d.IdempotencyKey).Distinct(StringComparer.Ordinal).Count()} distinct message IDs)",
            cancellationToken);

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }

    private async Task HandleAsync(HttpContext context)
    {
        long arrived = Stopwatch.GetTimestamp();
        using var body = new MemoryStream();
        await context.Request.Body.CopyToAsync(body, context.RequestAborted);
        string key = context.Request.Headers["Idempotency-Key"].ToString();
        var headers = context.Request.Headers.ToDictionary(h => h.Key, h => h.Value.ToString(), StringComparer.OrdinalIgnoreCase);

        int attempt;
        lock (_attempts)
        {
            _attempts[key] = attempt = _attempts.GetValueOrDefault(key) + 1;
        }

        var delivery = new Delivery(key, body.ToArray(), headers, arrived, attempt, 0);
        int status = Respond(delivery);
        context.Response.StatusCode = status;
        if (status >= 400)
        {
            await context.Response.WriteAsync($"refused by the test receiver ({status})", context.RequestAborted);
        }

        // Recorded once the answer is decided (before the dispatcher reads it): the store is not updated yet at this point.
        _deliveries.Add(delivery with { StatusCode = status });
    }
}

/// <summary>One request received by <see cref="EndToEndReceiver"/>.</summary>
/// <param name="IdempotencyKey">The <c>Idempotency-Key</c> header (the outbox message ID).</param>
/// <param name="Body">The raw request body.</param>
/// <param name="Headers">The request headers.</param>
/// <param name="ArrivedAt">The <see cref="Stopwatch"/> timestamp of its arrival.</param>
/// <param name="Attempt">The attempt number for this <see cref="IdempotencyKey"/>, from 1.</param>
/// <param name="StatusCode">The status code answered (0 while it is being decided).</param>
internal sealed record Delivery(
    string IdempotencyKey, byte[] Body, IReadOnlyDictionary<string, string> Headers, long ArrivedAt, int Attempt, int StatusCode)
{
    /// <summary>The message ID carried by <see cref="IdempotencyKey"/>.</summary>
    public Guid MessageId => Guid.Parse(IdempotencyKey);
}
