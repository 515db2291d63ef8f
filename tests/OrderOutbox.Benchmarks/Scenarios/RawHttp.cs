using System.Diagnostics;
using System.Net.Http.Headers;

namespace OrderOutbox.Benchmarks.Scenarios;

/// <summary>
/// The raw HTTP limit: plain <see cref="HttpClient"/> POSTs of the same bodies to the same receiver, with the same
/// concurrency, no database. One fresh <see cref="SocketsHttpHandler"/> per run (connections are opened in the run).
/// </summary>
internal static class RawHttp
{
    private static readonly MediaTypeHeaderValue Json = new("application/json") { CharSet = "utf-8" };

    /// <summary>Bytes allocated per POST in this process during the last run (all threads).</summary>
    public static double LastAllocatedPerMessage { get; private set; }

    /// <summary>POSTs <paramref name="total"/> bodies, <paramref name="concurrency"/> at a time; returns messages per second.</summary>
    /// <summary>The messages the last run sent.</summary>
    public static long LastDone { get; private set; }

    public static async Task<double> RunAsync(Uri endpoint, byte[][] bodies, int total, int concurrency, TimeSpan limit)
    {
        var deadline = Stopwatch.GetTimestamp() + (long)(limit.TotalSeconds * Stopwatch.Frequency);
        long done = 0;
        using var handler = new SocketsHttpHandler { MaxConnectionsPerServer = int.MaxValue, UseProxy = false, AllowAutoRedirect = false };
        using var client = new HttpClient(handler) { Timeout = TimeSpan.FromSeconds(30) };
        var next = -1;
        var allocated = GC.GetTotalAllocatedBytes(precise: true);
        var sw = Stopwatch.StartNew();
        var workers = new Task[concurrency];
        for (var w = 0; w < concurrency; w++)
        {
            workers[w] = Task.Run(async () =>
            {
                int i;
                while ((i = Interlocked.Increment(ref next)) < total && Stopwatch.GetTimestamp() < deadline)
                {
                    using var content = new ByteArrayContent(bodies[i % bodies.Length]);
                    content.Headers.ContentType = Json;
                    using var response = await client.PostAsync(endpoint, content);
                    if (!response.IsSuccessStatusCode)
                    {
                        throw new InvalidOperationException("receiver answered " + (int)response.StatusCode);
                    }

                    Interlocked.Increment(ref done);
                }
            });
        }

        await Task.WhenAll(workers);
        var rate = done / sw.Elapsed.TotalSeconds;
        LastAllocatedPerMessage = (GC.GetTotalAllocatedBytes(precise: true) - allocated) / (double)done;
        LastDone = done;
        return rate;
    }
}
