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

    /// <summary>POSTs <paramref name="total"/> bodies, <paramref name="concurrency"/> at a time; returns messages per second.</summary>
    public static async Task<double> RunAsync(Uri endpoint, byte[][] bodies, int total, int concurrency)
    {
        using var handler = new SocketsHttpHandler { MaxConnectionsPerServer = int.MaxValue, UseProxy = false, AllowAutoRedirect = false };
        using var client = new HttpClient(handler) { Timeout = TimeSpan.FromSeconds(30) };
        var next = -1;
        var sw = Stopwatch.StartNew();
        var workers = new Task[concurrency];
        for (var w = 0; w < concurrency; w++)
        {
            workers[w] = Task.Run(async () =>
            {
                int i;
                while ((i = Interlocked.Increment(ref next)) < total)
                {
                    using var content = new ByteArrayContent(bodies[i % bodies.Length]);
                    content.Headers.ContentType = Json;
                    using var response = await client.PostAsync(endpoint, content);
                    if (!response.IsSuccessStatusCode)
                    {
                        throw new InvalidOperationException("receiver answered " + (int)response.StatusCode);
                    }
                }
            });
        }

        await Task.WhenAll(workers);
        return total / sw.Elapsed.TotalSeconds;
    }
}
