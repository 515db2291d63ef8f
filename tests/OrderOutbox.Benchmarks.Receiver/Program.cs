using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Text;
using Microsoft.AspNetCore.Server.Kestrel.Core;

// The benchmark receiver: a Kestrel server on 127.0.0.1 that answers 200 at once.
//   POST /orders            → 200, counts the request; while recording, stores (Idempotency-Key, arrival timestamp)
//   GET  /stats             → "<requests> <bytes>"
//   POST /control/reset     → zeroes the counters and the arrival log
//   POST /control/record/on → starts recording arrivals; /control/record/off stops
//   GET  /arrivals          → one "<key> <timestamp>" line per recorded arrival
// Arrival timestamps are Stopwatch.GetTimestamp() values. On Linux that is clock_gettime(CLOCK_MONOTONIC) in
// nanoseconds, one clock for every process of the machine, so the harness can subtract its own commit timestamps.
// Usage: OrderOutbox.Benchmarks.Receiver [port]   (0 or none: any free port). Prints "LISTENING <url>" when ready.
var port = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 0;

var builder = WebApplication.CreateSlimBuilder();
builder.Logging.ClearProviders();
builder.WebHost.ConfigureKestrel(k =>
{
    k.Listen(System.Net.IPAddress.Loopback, port, o => o.Protocols = HttpProtocols.Http1);
    k.AddServerHeader = false;
    k.Limits.MaxConcurrentConnections = null;
});

var app = builder.Build();
var state = new ReceiverState();

app.MapPost("/orders", async (HttpContext ctx) =>
{
    // Read the body (a real receiver would), then answer 200 with no body.
    var body = ctx.Request.BodyReader;
    long size = 0;
    while (true)
    {
        var read = await body.ReadAsync();
        size += read.Buffer.Length;
        body.AdvanceTo(read.Buffer.End);
        if (read.IsCompleted)
        {
            break;
        }
    }

    var now = Stopwatch.GetTimestamp();
    Interlocked.Increment(ref state.Requests);
    Interlocked.Add(ref state.Bytes, size);
    if (Volatile.Read(ref state.Recording))
    {
        var key = ctx.Request.Headers["Idempotency-Key"].ToString();
        if (key.Length == 0)
        {
            key = ctx.Request.Headers["ce-id"].ToString();
        }

        state.Arrivals.Enqueue((key, now));
    }

    ctx.Response.StatusCode = 200;
});

app.MapGet("/stats", () => string.Create(CultureInfo.InvariantCulture, $"{Interlocked.Read(ref state.Requests)} {Interlocked.Read(ref state.Bytes)}"));

app.MapPost("/control/reset", () =>
{
    Interlocked.Exchange(ref state.Requests, 0);
    Interlocked.Exchange(ref state.Bytes, 0);
    state.Arrivals.Clear();
    return "ok";
});

app.MapPost("/control/record/{on}", (string on) =>
{
    Volatile.Write(ref state.Recording, on == "on");
    return "ok";
});

app.MapGet("/arrivals", () =>
{
    var sb = new StringBuilder();
    foreach (var (key, ts) in state.Arrivals)
    {
        sb.Append(key).Append(' ').Append(ts.ToString(CultureInfo.InvariantCulture)).Append('\n');
    }

    return sb.ToString();
});

app.MapGet("/clock", () => Stopwatch.GetTimestamp().ToString(CultureInfo.InvariantCulture));

await app.StartAsync();
var url = app.Urls.First();
Console.WriteLine($"LISTENING {url} FREQ {Stopwatch.Frequency}");
Console.Out.Flush();
await app.WaitForShutdownAsync();

internal sealed class ReceiverState
{
#pragma warning disable CA1051 // fields for Interlocked
    public long Requests;
    public long Bytes;
    public bool Recording;
    public readonly ConcurrentQueue<(string Key, long Timestamp)> Arrivals = new();
#pragma warning restore CA1051
}
