using System.Collections.Concurrent;
using System.Net;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace OrderOutbox.Sample;

/// <summary>What the fake data platform does with one request.</summary>
internal enum PlannedFault
{
    /// <summary>Store the order and answer 200.</summary>
    None,

    /// <summary>Answer 503 Service Unavailable (transient: the outbox retries).</summary>
    Unavailable,

    /// <summary>Store the order, then answer only after the dispatcher's timeout (so the outbox retries and the receiver sees a duplicate).</summary>
    SlowAnswer,

    /// <summary>Answer 400 Bad Request (permanent: the outbox dead-letters the record at once).</summary>
    Reject,
}

/// <summary>
/// The seeded, deterministic failure plan of the fake data platform: which orders get 503s (and how many),
/// which one is answered too slowly the first time, and which one is rejected for good.
/// </summary>
internal sealed class FailurePlan
{
    private readonly Dictionary<string, (PlannedFault Fault, int Times)> _byOrder = new(StringComparer.Ordinal);

    private FailurePlan()
    {
    }

    public int UnavailableOrders { get; private set; }

    public int SlowOrders { get; private set; }

    public int RejectedOrders { get; private set; }

    /// <summary>
    /// About one order in five gets one to three 503s (fewer than the five retries, so it is delivered in the end);
    /// one order is answered too slowly once; one order is rejected with 400 (its record becomes a dead letter).
    /// </summary>
    public static FailurePlan Create(IReadOnlyList<string> orderIds, int seed)
    {
        var plan = new FailurePlan();
#pragma warning disable CA5394 // a deterministic demo plan, not security
        var random = new Random(seed);
        var shuffled = orderIds.ToArray();
        random.Shuffle(shuffled);
        int next = 0;
        if (shuffled.Length >= 4)
        {
            plan._byOrder[shuffled[next++]] = (PlannedFault.Reject, int.MaxValue);
            plan.RejectedOrders = 1;
        }

        if (shuffled.Length >= 3)
        {
            plan._byOrder[shuffled[next++]] = (PlannedFault.SlowAnswer, 1);
            plan.SlowOrders = 1;
        }

        int unavailable = Math.Min(shuffled.Length - next, Math.Max(shuffled.Length >= 2 ? 1 : 0, shuffled.Length / 5));
        for (int i = 0; i < unavailable; i++)
        {
            plan._byOrder[shuffled[next++]] = (PlannedFault.Unavailable, random.Next(1, 4));
        }
#pragma warning restore CA5394

        plan.UnavailableOrders = unavailable;
        return plan;
    }

    /// <summary>The fault for the <paramref name="attempt"/>-th request (1-based) carrying <paramref name="orderId"/>.</summary>
    public PlannedFault Decide(string? orderId, int attempt)
        => orderId is not null && _byOrder.TryGetValue(orderId, out var planned) && attempt <= planned.Times
            ? planned.Fault
            : PlannedFault.None;
}

/// <summary>Counters of the fake data platform.</summary>
/// <param name="Requests">Every POST received.</param>
/// <param name="Stored">Distinct messages stored (by <c>Idempotency-Key</c>).</param>
/// <param name="Duplicates">Deliveries of a message that was already stored (at-least-once made visible).</param>
/// <param name="Unavailable">503 answers.</param>
/// <param name="SlowAnswers">Answers held past the dispatcher's timeout.</param>
/// <param name="Rejected">400 answers.</param>
/// <param name="Traced">Requests whose <c>traceparent</c> continues the trace of their order's completion.</param>
/// <param name="LastTraceParent">The <c>traceparent</c> of the last request and its order, or <see langword="null"/>.</param>
internal sealed record ReceiverStats(
    long Requests, long Stored, long Duplicates, long Unavailable, long SlowAnswers, long Rejected, long Traced, string? LastTraceParent);

/// <summary>
/// A stand-in for the data platform: a Kestrel server on 127.0.0.1 (a free port) that accepts
/// <c>order.completed</c> deliveries, fails some of them on purpose (<see cref="FailurePlan"/>), and de-duplicates
/// by the <c>Idempotency-Key</c> header as a real receiver should.
/// </summary>
internal sealed class FakeDataPlatform : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly FailurePlan _plan;
    private readonly TimeSpan _slowAnswer;
    private readonly TimeProvider _time;
    private readonly ConcurrentDictionary<string, int> _attempts = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, int> _stored = new(StringComparer.Ordinal);
    private long _requests;
    private long _duplicates;
    private long _unavailable;
    private long _slowAnswers;
    private long _rejected;
    private long _traced;
    private string? _lastTraceParent;

    private FakeDataPlatform(WebApplication app, FailurePlan plan, TimeSpan slowAnswer, TimeProvider time)
    {
        _app = app;
        _plan = plan;
        _slowAnswer = slowAnswer;
        _time = time;
    }

    /// <summary>The URI to POST to.</summary>
    public Uri Endpoint { get; private set; } = null!;

    public FailurePlan Plan => _plan;

    /// <summary>Starts the server on a free loopback port.</summary>
    /// <param name="plan">Which requests fail.</param>
    /// <param name="slowAnswer">How long the slow answer takes (longer than the dispatcher's timeout).</param>
    /// <param name="time">The clock.</param>
    /// <param name="cancellationToken">Cancels the start.</param>
    public static async Task<FakeDataPlatform> StartAsync(FailurePlan plan, TimeSpan slowAnswer, TimeProvider time, CancellationToken cancellationToken)
    {
        var builder = WebApplication.CreateEmptyBuilder(new WebApplicationOptions());
        builder.WebHost.UseKestrelCore().ConfigureKestrel(k => k.Listen(IPAddress.Loopback, 0));
        builder.Logging.ClearProviders();
        var app = builder.Build();
        var platform = new FakeDataPlatform(app, plan, slowAnswer, time);
        app.Run(platform.HandleAsync);
        await app.StartAsync(cancellationToken);

        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        platform.Endpoint = new Uri(new Uri(address), "/orders/completed");
        return platform;
    }

    public ReceiverStats Snapshot() => new(
        Interlocked.Read(ref _requests),
        _stored.Count,
        Interlocked.Read(ref _duplicates),
        Interlocked.Read(ref _unavailable),
        Interlocked.Read(ref _slowAnswers),
        Interlocked.Read(ref _rejected),
        Interlocked.Read(ref _traced),
        Volatile.Read(ref _lastTraceParent));

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync(CancellationToken.None);
        await _app.DisposeAsync();
    }

    private async Task HandleAsync(HttpContext context)
    {
        Interlocked.Increment(ref _requests);
        var request = context.Request;
        if (!HttpMethods.IsPost(request.Method))
        {
            context.Response.StatusCode = StatusCodes.Status405MethodNotAllowed;
            return;
        }

        string? key = request.Headers["Idempotency-Key"];
        string? orderId = await ReadOrderIdAsync(request, context.RequestAborted);
        if (string.IsNullOrEmpty(key) || orderId is null)
        {
            Interlocked.Increment(ref _rejected);
            await WriteAsync(context, StatusCodes.Status400BadRequest, "expected an order.completed JSON body and an Idempotency-Key header");
            return;
        }

        NoteTrace(orderId, request.Headers["traceparent"]);
        int attempt = _attempts.AddOrUpdate(key, 1, (_, n) => n + 1);
        switch (_plan.Decide(orderId, attempt))
        {
            case PlannedFault.Unavailable:
                Interlocked.Increment(ref _unavailable);
                await WriteAsync(context, StatusCodes.Status503ServiceUnavailable, "data platform busy (planned 503)");
                return;

            case PlannedFault.Reject:
                Interlocked.Increment(ref _rejected);
                await WriteAsync(context, StatusCodes.Status400BadRequest, $"order {orderId} failed validation (planned permanent rejection)");
                return;

            case PlannedFault.SlowAnswer:
                // The platform stores the order but answers too late: the dispatcher times out and retries,
                // and the retry arrives as a duplicate, which the Idempotency-Key lets us recognise.
                Store(key);
                Interlocked.Increment(ref _slowAnswers);
                try
                {
                    await Task.Delay(_slowAnswer, _time, context.RequestAborted);
                    await WriteAsync(context, StatusCodes.Status200OK, "stored (slowly)");
                }
                catch (OperationCanceledException)
                {
                    // the dispatcher gave up waiting, as planned
                }

                return;

            default:
                Store(key);
                await WriteAsync(context, StatusCodes.Status200OK, "stored");
                return;
        }
    }

    /// <summary>Counts the request as traced when its <c>traceparent</c> (<c>00-traceid-spanid-flags</c>) is in its order's trace.</summary>
    private void NoteTrace(string orderId, string? traceParent)
    {
        if (string.IsNullOrEmpty(traceParent))
        {
            return;
        }

        Volatile.Write(ref _lastTraceParent, $"{traceParent} (order {orderId})");
        string[] parts = traceParent.Split('-');
        if (parts.Length == 4 && SampleTelemetry.TraceOf(orderId) is { } trace && string.Equals(parts[1], trace, StringComparison.Ordinal))
        {
            Interlocked.Increment(ref _traced);
        }
    }

    private void Store(string key)
    {
        if (_stored.AddOrUpdate(key, 1, (_, n) => n + 1) > 1)
        {
            Interlocked.Increment(ref _duplicates);
        }
    }

    private static async Task<string?> ReadOrderIdAsync(HttpRequest request, CancellationToken cancellationToken)
    {
        try
        {
            using var body = await JsonDocument.ParseAsync(request.Body, cancellationToken: cancellationToken);
            return body.RootElement.ValueKind == JsonValueKind.Object
                && body.RootElement.TryGetProperty("orderId", out var id)
                && id.ValueKind == JsonValueKind.String
                ? id.GetString()
                : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    private static async Task WriteAsync(HttpContext context, int statusCode, string text)
    {
        context.Response.StatusCode = statusCode;
        context.Response.ContentType = "text/plain; charset=utf-8";
        await context.Response.WriteAsync(text, context.RequestAborted);
    }
}
