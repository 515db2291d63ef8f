using System.Data.Common;
using FluentAssertions;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using OrderOutbox.Tests.Sqlite;
using OrderOutbox.Tests.Support;
using Xunit;

namespace OrderOutbox.Tests.Dispatching;

/// <summary>
/// Routes and endpoint options on a real Generic Host, bound from configuration as an application would
/// (<c>OrderOutbox:Http:Endpoints</c>, <c>…:Routes</c>), against a real SQLite store and loopback receivers.
/// </summary>
public sealed class HttpRoutingHostTests : IAsyncLifetime
{
    private static readonly string Secret = "whsec_" + Convert.ToBase64String(Enumerable.Range(7, 32).Select(i => (byte)i).ToArray());
    private readonly SqliteTestDatabase _database = new();
    private LoopbackServer _orders = null!;
    private LoopbackServer _finance = null!;

    private CancellationToken Ct => TestContext.Current.CancellationToken;

    public async ValueTask InitializeAsync()
    {
        await _database.InitializeAsync();
        _orders = await LoopbackServer.StartAsync();
        _finance = await LoopbackServer.StartAsync();
    }

    public async ValueTask DisposeAsync()
    {
        await _orders.DisposeAsync();
        await _finance.DisposeAsync();
        await _database.DisposeAsync();
    }

    private HostApplicationBuilder Builder(Dictionary<string, string?> http)
    {
        HostApplicationBuilder builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Logging.ClearProviders();
        builder.Configuration.AddInMemoryCollection(http.ToDictionary(p => "OrderOutbox:Http:" + p.Key, p => p.Value));
        builder.Services
            .AddOrderOutbox(o => o.RunDispatcher = false)
            .UseSqlite(_database.ConnectionString, s =>
            {
                s.TableName = SqliteTestDatabase.NewTableName("routes");
                s.EnsureSchemaOnStartup = true;
            })
            .UseHttpDispatcher(builder.Configuration.GetSection("OrderOutbox:Http"));
        return builder;
    }

    private Dictionary<string, string?> TwoEndpoints() => new()
    {
        ["Endpoints:orders:Url"] = _orders.Url("orders").ToString(),
        ["Endpoints:finance:Url"] = _finance.Url("finance").ToString(),
        ["Endpoints:finance:SigningSecrets:0"] = Secret,
        ["Routes:order.*"] = "orders",
        ["Routes:invoice.issued"] = "finance",
        ["Routes:refund.issued"] = "finance",
    };

    private async Task EnqueueAsync(IHost host, params string[] messageTypes)
    {
        IOutboxWriter writer = host.Services.GetRequiredService<IOutboxWriter>();
        await using SqliteConnection connection = await _database.OpenAsync(Ct);
        await using DbTransaction tx = await connection.BeginTransactionAsync(Ct);
        foreach (string type in messageTypes)
        {
            await writer.EnqueueAsync(tx, type, new { type }, cancellationToken: Ct);
        }

        await tx.CommitAsync(Ct);
    }

    private static string TypeOf(ReceivedRequest request) => request.Headers["ce-type"];

    [Fact]
    public async Task Each_type_goes_to_its_routed_endpoint_and_the_default_catches_the_rest()
    {
        Dictionary<string, string?> config = TwoEndpoints();
        config["DefaultEndpoint"] = "orders";
        using IHost host = Builder(config).Build();
        await host.StartAsync(Ct);

        await EnqueueAsync(host, "order.completed", "order.item.added", "invoice.issued", "refund.issued", "customer.created");
        int processed = await host.Services.GetRequiredService<IOutboxProcessor>().ProcessOnceAsync(Ct);

        processed.Should().Be(5);
        _orders.Requests.Select(TypeOf).Should().BeEquivalentTo("order.completed", "order.item.added", "customer.created");
        _finance.Requests.Select(TypeOf).Should().BeEquivalentTo("invoice.issued", "refund.issued");
        _finance.Requests.Should().AllSatisfy(r => r.Headers.Should().ContainKey("webhook-signature"), "the finance endpoint signs");
        _orders.Requests.Should().AllSatisfy(r => r.Headers.Should().NotContainKey("webhook-signature"), "the orders endpoint does not");
        host.Services.GetRequiredService<IOutboxRouter>().EndpointNames.Should().BeEquivalentTo("orders", "finance");
        await host.StopAsync(Ct);
    }

    [Fact]
    public async Task The_single_endpoint_of_before_is_the_default_next_to_named_ones()
    {
        Dictionary<string, string?> config = TwoEndpoints();
        config["Endpoint"] = _orders.Url("legacy").ToString();
        using IHost host = Builder(config).Build();
        await host.StartAsync(Ct);

        await EnqueueAsync(host, "invoice.issued", "customer.created");
        await host.Services.GetRequiredService<IOutboxProcessor>().ProcessOnceAsync(Ct);

        _finance.Requests.Select(TypeOf).Should().Equal("invoice.issued");
        _orders.Requests.Should().ContainSingle(r => r.PathAndQuery == "/legacy").Which.Headers["ce-type"].Should().Be("customer.created");
        host.Services.GetRequiredService<IOutboxRouter>().TryGetEndpoint("customer.created", out string? name).Should().BeTrue();
        name.Should().Be("default");
        await host.StopAsync(Ct);
    }

    [Fact]
    public async Task Without_a_default_an_unrouted_type_is_refused_at_enqueue_and_nothing_is_stored()
    {
        using IHost host = Builder(TwoEndpoints()).Build();
        await host.StartAsync(Ct);

        Func<Task> enqueue = () => EnqueueAsync(host, "order.completed", "customer.created");

        (await enqueue.Should().ThrowAsync<ArgumentException>()).Which.Message.Should()
            .Contain("'customer.created' has no route").And.Contain("customer.*").And.Contain("HttpDispatcherOptions.DefaultEndpoint");
        (await host.Services.GetRequiredService<IOutboxProcessor>().ProcessOnceAsync(Ct)).Should().Be(0, "the transaction was not committed");
        await host.StopAsync(Ct);
    }

    public static TheoryData<string, string, string?, string> InvalidConfiguration => new()
    {
        { "unknown endpoint in a route", "Routes:order.*", "ordrs", "HttpDispatcherOptions.Routes['order.*'] = 'ordrs': no such endpoint" },
        { "overlapping prefixes", "Routes:order.item.*", "orders", "HttpDispatcherOptions.Routes['order.item.*']: overlaps the route 'order.*'" },
        { "a wildcard route", "Routes:*", "orders", "HttpDispatcherOptions.Routes['*']: '*' is allowed only as the last segment" },
        { "a relative URL", "Endpoints:orders:Url", "/orders", "HttpDispatcherOptions.Endpoints['orders'].Url = '/orders': must be an absolute http or https URI" },
        { "an ftp URL", "Endpoints:orders:Url", "ftp://example.org/x", "HttpDispatcherOptions.Endpoints['orders'].Url = 'ftp://example.org/x': the scheme 'ftp' is not allowed" },
        { "an endpoint without URL", "Endpoints:audit:Timeout", "00:00:05", "HttpDispatcherOptions.Endpoints['audit'].Url = null" },
        { "a bad endpoint name", "Endpoints:or ders:Url", "http://127.0.0.1:9/x", "HttpDispatcherOptions.Endpoints['or ders']: an endpoint name must be 1 to 100 letters, digits" },
        { "an unknown default", "DefaultEndpoint", "audit", "HttpDispatcherOptions.DefaultEndpoint = 'audit': no such endpoint; name one of HttpDispatcherOptions.Endpoints (" },
        { "a timeout out of range", "Endpoints:orders:Timeout", "00:30:00", "HttpDispatcherOptions.Endpoints['orders'].Timeout = 00:30:00" },
        { "a negative rate", "MaxRequestsPerSecond", "-1", "HttpDispatcherOptions.MaxRequestsPerSecond = -1" },
        { "an endpoint rate out of range", "Endpoints:finance:MaxRequestsPerSecond", "1000000", "HttpDispatcherOptions.Endpoints['finance'].MaxRequestsPerSecond = 1000000" },
        { "a status key that is no status", "StatusPolicy:4xx", "Transient", "HttpDispatcherOptions.StatusPolicy['4xx']: the key must be an HTTP status code from 100 to 599" },
        { "an endpoint status key out of range", "Endpoints:orders:StatusPolicy:600", "Transient", "HttpDispatcherOptions.Endpoints['orders'].StatusPolicy['600']: the key must be an HTTP status code" },
        { "a secret without whsec_", "SigningSecrets:0", "c2VjcmV0LXRoYXQtbXVzdC1uZXZlci1iZS1zaG93bg==", "HttpDispatcherOptions.SigningSecrets[0] (value not shown): does not start with whsec_" },
        { "a short secret", "Endpoints:finance:SigningSecrets:1", "whsec_c2hvcnQtc2VjcmV0", "HttpDispatcherOptions.Endpoints['finance'].SigningSecrets[1] (value not shown): decodes to 12 bytes" },
        { "the name default taken twice", "Endpoint", "http://127.0.0.1:9/x", "HttpDispatcherOptions.Endpoints['default']: the name 'default' is taken by HttpDispatcherOptions.Endpoint" },
    };

    [Theory]
    [MemberData(nameof(InvalidConfiguration))]
    public async Task Bad_configuration_stops_the_host_at_start_with_the_option_and_value_named(string because, string key, string? value, string expected)
    {
        Dictionary<string, string?> config = TwoEndpoints();
        config["Routes:order.*"] = "orders";
        if (key == "Endpoint")
        {
            config["Endpoints:default:Url"] = "http://127.0.0.1:9/y";
        }

        config[key] = value;
        using IHost host = Builder(config).Build();

        Func<Task> start = () => host.StartAsync(Ct);

        string message = (await start.Should().ThrowAsync<Microsoft.Extensions.Options.OptionsValidationException>(because)).Which.Message;
        message.Should().Contain(expected, because);
        message.Should().NotContain("c2VjcmV0LXRoYXQtbXVzdC1uZXZlci1iZS1zaG93bg").And.NotContain("c2hvcnQtc2VjcmV0", "secrets are never shown");
    }

    [Theory]
    [InlineData("MaxRequestsPerSecond", "0.4", "HttpDispatcherOptions.MaxRequestsPerSecond = 0.4: with OutboxOptions.MaxConcurrency = 4 workers the last would wait 10 s for its turn, not less than OutboxOptions.DispatchTimeout = 00:00:10, and time out; allow more than 0.4 requests per second")]
    [InlineData("Endpoints:orders:MaxRequestsPerSecond", "0.2", "HttpDispatcherOptions.Endpoints['orders'].MaxRequestsPerSecond = 0.2: with OutboxOptions.MaxConcurrency = 4 workers the last would wait 20 s")]
    public async Task A_rate_so_low_that_waiting_workers_would_time_out_stops_the_host(string key, string value, string expected)
    {
        Dictionary<string, string?> config = TwoEndpoints();
        config[key] = value;
        HostApplicationBuilder builder = Builder(config);
        builder.Services.Configure<OutboxOptions>(o => o.MaxConcurrency = 4);
        using IHost host = builder.Build();

        Func<Task> start = () => host.StartAsync(Ct);

        (await start.Should().ThrowAsync<Microsoft.Extensions.Options.OptionsValidationException>()).Which.Message.Should().Contain(expected);
    }

    [Fact]
    public async Task A_rate_that_serves_every_worker_within_the_timeout_starts()
    {
        Dictionary<string, string?> config = TwoEndpoints();
        config["MaxRequestsPerSecond"] = "0.5";
        HostApplicationBuilder builder = Builder(config);
        builder.Services.Configure<OutboxOptions>(o => o.MaxConcurrency = 4);
        using IHost host = builder.Build();

        await host.StartAsync(Ct);

        host.Services.GetRequiredService<IOutboxRouter>().EndpointNames.Should().HaveCount(2);
        await host.StopAsync(Ct);
    }

    [Fact]
    public async Task Neither_an_endpoint_nor_named_endpoints_stops_the_host_with_the_fix()
    {
        using IHost host = Builder(new Dictionary<string, string?> { ["Source"] = "urn:x" }).Build();

        Func<Task> start = () => host.StartAsync(Ct);

        (await start.Should().ThrowAsync<Microsoft.Extensions.Options.OptionsValidationException>()).Which.Message.Should()
            .Contain("HttpDispatcherOptions.Endpoint = null: an absolute http or https URI is required").And.Contain("unless HttpDispatcherOptions.Endpoints are configured");
    }
}
