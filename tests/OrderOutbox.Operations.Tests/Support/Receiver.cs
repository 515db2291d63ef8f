using System.Collections.Concurrent;
using System.Net;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace OrderOutbox.Operations.Tests.Support;

/// <summary>
/// A real Kestrel receiver on 127.0.0.1. While <see cref="RejectPoison"/> is on, a body containing <c>poison</c> is
/// answered 400 with <see cref="PoisonAnswer"/> (so the record is dead-lettered at once); everything else 200.
/// </summary>
internal sealed class Receiver : IAsyncDisposable
{
    /// <summary>The 400 answer's body: markup that must never become markup on the dashboard.</summary>
    public const string PoisonAnswer = "<img src=x onerror=\"window.__xss=1\"><b>rejected</b>";

    private readonly WebApplication _app;

    private Receiver(WebApplication app, Uri endpoint)
    {
        _app = app;
        Endpoint = endpoint;
    }

    public Uri Endpoint { get; }

    public volatile bool RejectPoison = true;

    /// <summary>The <c>Idempotency-Key</c> of every request answered 200.</summary>
    public ConcurrentQueue<string> Delivered { get; } = new();

    public static async Task<Receiver> StartAsync()
    {
        WebApplicationBuilder builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseKestrel(o => o.Listen(IPAddress.Loopback, 0));
        WebApplication app = builder.Build();
        Receiver? receiver = null;
        app.Run(async context =>
        {
            using var reader = new StreamReader(context.Request.Body, Encoding.UTF8);
            string body = await reader.ReadToEndAsync(context.RequestAborted);
            if (receiver!.RejectPoison && body.Contains("poison", StringComparison.Ordinal))
            {
                context.Response.StatusCode = 400;
                await context.Response.WriteAsync(PoisonAnswer, context.RequestAborted);
                return;
            }

            receiver.Delivered.Enqueue(context.Request.Headers["Idempotency-Key"].ToString());
            context.Response.StatusCode = 200;
        });
        await app.StartAsync();
        string address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        receiver = new Receiver(app, new Uri(address + "/orders"));
        return receiver;
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
