using System.Net;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Logging;

namespace OrderOutbox.Tests.HealthChecks;

/// <summary>
/// A real ASP.NET Core host on a loopback port (Kestrel, port chosen by the OS) with
/// <c>AddHealthChecks().AddOrderOutbox()</c> and <c>MapHealthChecks("/health")</c>, probed with real HTTP GETs. The
/// response writer puts the outbox entry's status, description and data in the JSON body.
/// </summary>
internal sealed class HealthCheckHost : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly HttpClient _client;

    private HealthCheckHost(WebApplication app, Uri address)
    {
        _app = app;
        _client = new HttpClient { BaseAddress = address };
    }

    public IServiceProvider Services => _app.Services;

    /// <summary>Builds and starts the host; <paramref name="configure"/> wires the outbox and the health check.</summary>
    public static async Task<HealthCheckHost> StartAsync(Action<IServiceCollection> configure, CancellationToken cancellationToken)
    {
        WebApplicationBuilder builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseKestrel(o => o.Listen(IPAddress.Loopback, 0));
        configure(builder.Services);
        WebApplication app = builder.Build();
        app.MapHealthChecks("/health", new HealthCheckOptions { ResponseWriter = WriteAsync });
        await app.StartAsync(cancellationToken);
        string address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        return new HealthCheckHost(app, new Uri(address));
    }

    /// <summary>GET /health: the HTTP status and the outbox entry.</summary>
    public async Task<HealthResponse> GetAsync(CancellationToken cancellationToken)
    {
        using HttpResponseMessage response = await _client.GetAsync(new Uri("/health", UriKind.Relative), cancellationToken);
        string body = await response.Content.ReadAsStringAsync(cancellationToken);
        using JsonDocument json = JsonDocument.Parse(body);
        JsonElement entry = json.RootElement.GetProperty("orderoutbox");
        var data = entry.GetProperty("data").EnumerateObject().ToDictionary(p => p.Name, p => p.Value.ToString());
        return new HealthResponse(response.StatusCode, entry.GetProperty("status").GetString()!, entry.GetProperty("description").GetString() ?? string.Empty, data);
    }

    public async ValueTask DisposeAsync()
    {
        _client.Dispose();
        await _app.StopAsync();
        await _app.DisposeAsync();
    }

    private static Task WriteAsync(HttpContext context, HealthReport report)
    {
        context.Response.ContentType = "application/json";
        var entries = report.Entries.ToDictionary(
            e => e.Key,
            e => new { status = e.Value.Status.ToString(), description = e.Value.Description, data = e.Value.Data });
        return context.Response.WriteAsync(JsonSerializer.Serialize(entries), context.RequestAborted);
    }
}

/// <summary>One answer of <c>/health</c>.</summary>
internal sealed record HealthResponse(HttpStatusCode HttpStatus, string Status, string Description, IReadOnlyDictionary<string, string> Data);
