using System.Collections.Concurrent;
using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace OrderOutbox.Tests.Support;

/// <summary>
/// A real Kestrel receiver on 127.0.0.1 (port chosen by the OS). Its answer is scripted by the query string:
/// <c>status</c> (default 200), <c>body</c>, <c>retry-after</c> (the raw header value), <c>location</c>, and
/// <c>hang=1</c> (never answers until the client gives up) — or by a handler of the test's own. Every request is
/// recorded with its headers and raw body.
/// </summary>
internal sealed class LoopbackServer : IAsyncDisposable
{
    private readonly WebApplication _app;

    private LoopbackServer(WebApplication app, Uri baseAddress)
    {
        _app = app;
        BaseAddress = baseAddress;
    }

    public Uri BaseAddress { get; }

    public ConcurrentQueue<ReceivedRequest> Requests { get; } = new();

    /// <summary>Starts a receiver; <paramref name="respond"/> (given the context and the raw body) answers instead of the query script.</summary>
    public static async Task<LoopbackServer> StartAsync(Func<HttpContext, byte[], Task>? respond = null)
    {
        WebApplicationBuilder builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseKestrel(o => o.Listen(IPAddress.Loopback, 0));
        WebApplication app = builder.Build();
        LoopbackServer? server = null;
        app.Run(async context =>
        {
            using var body = new MemoryStream();
            await context.Request.Body.CopyToAsync(body, context.RequestAborted);
            server!.Requests.Enqueue(new ReceivedRequest(
                context.Request.Method,
                context.Request.Path + context.Request.QueryString,
                context.Request.Headers.ToDictionary(h => h.Key, h => h.Value.ToString(), StringComparer.OrdinalIgnoreCase),
                body.ToArray()));
            if (respond is not null)
            {
                await respond(context, body.ToArray());
                return;
            }

            IQueryCollection query = context.Request.Query;
            if (query["hang"] == "1")
            {
                await Task.Delay(Timeout.InfiniteTimeSpan, context.RequestAborted);
            }

            context.Response.StatusCode = int.TryParse(query["status"], out int status) ? status : 200;
            if (query.TryGetValue("retry-after", out var retryAfter))
            {
                context.Response.Headers.RetryAfter = retryAfter.ToString();
            }

            if (query.TryGetValue("location", out var location))
            {
                context.Response.Headers.Location = location.ToString();
            }

            if (query.TryGetValue("body", out var text))
            {
                await context.Response.WriteAsync(text.ToString(), context.RequestAborted);
            }
        });
        await app.StartAsync();
        string address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        server = new LoopbackServer(app, new Uri(address + "/"));
        return server;
    }

    public Uri Url(string pathAndQuery) => new(BaseAddress, pathAndQuery);

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}

internal sealed record ReceivedRequest(string Method, string PathAndQuery, Dictionary<string, string> Headers, byte[] Body);
