using System.Net;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Testing;
using Microsoft.Extensions.Logging;
using OrderOutbox.Dashboard;

namespace OrderOutbox.Operations.Tests.Support;

/// <summary>
/// A real ASP.NET Core application on Kestrel (127.0.0.1): the outbox over a real database, its dispatcher delivering
/// to a loopback <see cref="Receiver"/>, the test header authentication, the policies <c>ops</c> (role ops) and
/// <c>payload</c> (role payload), and the dashboard at <c>/outbox</c>.
/// </summary>
internal sealed class DashboardHost : IAsyncDisposable
{
    public const string OperatorsPolicy = "ops";
    public const string PayloadPolicy = "payload";

    private readonly WebApplication _app;

    private DashboardHost(WebApplication app, Uri baseAddress, Receiver receiver, string table)
    {
        _app = app;
        BaseAddress = baseAddress;
        Receiver = receiver;
        Table = table;
    }

    /// <summary>The application's root, for example <c>http://127.0.0.1:5123/</c>.</summary>
    public Uri BaseAddress { get; }

    /// <summary>The dashboard's page.</summary>
    public Uri DashboardUrl => new(BaseAddress, "outbox/");

    public Receiver Receiver { get; }

    public string Table { get; }

    public IServiceProvider Services => _app.Services;

    public IOutboxAdmin Admin => _app.Services.GetRequiredService<IOutboxAdmin>();

    public FakeLogCollector Logs => _app.Services.GetFakeLogCollector();

    /// <summary>Starts the host. <paramref name="dashboard"/> sets the dashboard's options (the default: policy <c>ops</c>, payload policy <c>payload</c>).</summary>
    public static async Task<DashboardHost> StartAsync(ITestDatabase database, Action<OrderOutboxDashboardOptions>? dashboard = null, bool registerPolicies = true)
    {
        Receiver receiver = await Receiver.StartAsync();
        string table = "outbox_" + Guid.NewGuid().ToString("N")[..10];
        WebApplication? app = null;
        try
        {
            WebApplicationBuilder builder = WebApplication.CreateSlimBuilder();
            builder.Logging.ClearProviders().SetMinimumLevel(LogLevel.Information);
            builder.Services.AddFakeLogging();
            builder.WebHost.UseKestrel(o => o.Listen(IPAddress.Loopback, 0));
            builder.Services.AddAuthentication(HeaderAuthentication.SchemeName).AddScheme<AuthenticationSchemeOptions, HeaderAuthentication>(HeaderAuthentication.SchemeName, null);
            if (registerPolicies)
            {
                builder.Services.AddAuthorization(o =>
                {
                    o.AddPolicy(OperatorsPolicy, p => p.RequireRole("ops"));
                    o.AddPolicy(PayloadPolicy, p => p.RequireRole("payload"));
                });
            }
            else
            {
                builder.Services.AddAuthorization();
            }

            OrderOutboxBuilder outbox = builder.Services.AddOrderOutbox(o =>
            {
                o.PollingInterval = TimeSpan.FromMilliseconds(100);
                o.InstanceId = "dashboard-tests";
            });
            database.UseStore(outbox, table);
            outbox.UseHttpDispatcher(h => h.Endpoint = receiver.Endpoint);
            builder.Services.AddOrderOutboxDashboard(o =>
            {
                o.AuthorizationPolicy = OperatorsPolicy;
                o.PayloadAuthorizationPolicy = PayloadPolicy;
                o.RefreshInterval = TimeSpan.FromSeconds(1);
                dashboard?.Invoke(o);
            });

            app = builder.Build();
            app.MapOrderOutboxDashboard("/outbox");
            await app.StartAsync();
            string address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
            return new DashboardHost(app, new Uri(address + "/"), receiver, table);
        }
        catch
        {
            if (app is not null)
            {
                await app.DisposeAsync();
            }

            await receiver.DisposeAsync();
            throw;
        }
    }

    /// <summary>Enqueues a record in a committed application transaction and returns its ID.</summary>
    public async Task<Guid> EnqueueAsync(ITestDatabase database, string payloadText, string type = "order.completed", string? aggregateId = null)
    {
        IOutboxWriter writer = _app.Services.GetRequiredService<IOutboxWriter>();
        await using var connection = await database.OpenConnectionAsync();
        await using var transaction = await connection.BeginTransactionAsync();
        Guid id = await writer.EnqueueAsync(transaction, type, new { text = payloadText }, aggregateId: aggregateId ?? "order-" + payloadText.Length);
        await transaction.CommitAsync();
        return id;
    }

    /// <summary>Waits (up to 30 s, checking every 50 ms) until <paramref name="condition"/> holds for the statistics.</summary>
    public async Task<OutboxStatistics> WaitForAsync(Func<OutboxStatistics, bool> condition)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        OutboxStatistics statistics = await Admin.GetStatisticsAsync();
        while (!condition(statistics))
        {
            await Task.Delay(50, timeout.Token);
            statistics = await Admin.GetStatisticsAsync();
        }

        return statistics;
    }

    /// <summary>Waits until nothing is left to send and exactly <paramref name="deadLetters"/> records are dead letters.</summary>
    public Task<OutboxStatistics> WaitUntilSettledAsync(int deadLetters)
        => WaitForAsync(s => s.Pending == 0 && s.Failed == 0 && s.DeadLetter == deadLetters);

    /// <summary>Waits (up to 30 s) until the record <paramref name="id"/> is <c>SENT</c>.</summary>
    public async Task WaitForSentAsync(Guid id)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        while ((await Admin.GetAsync(id))?.Status != OutboxStatus.Sent)
        {
            await Task.Delay(50, timeout.Token);
        }
    }

    /// <summary>An HTTP client for this host; <paramref name="user"/> and <paramref name="roles"/> sign it in, cookies are kept.</summary>
    public HttpClient CreateClient(string? user = "alice", string roles = "ops,payload")
    {
        var client = new HttpClient(new HttpClientHandler { UseCookies = true, CookieContainer = new CookieContainer(), AllowAutoRedirect = false }) { BaseAddress = BaseAddress };
        if (user is not null)
        {
            client.DefaultRequestHeaders.Add(HeaderAuthentication.UserHeader, user);
            client.DefaultRequestHeaders.Add(HeaderAuthentication.RolesHeader, roles);
        }

        return client;
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            await _app.StopAsync();
        }
        finally
        {
            await _app.DisposeAsync();
            await Receiver.DisposeAsync();
        }
    }
}
