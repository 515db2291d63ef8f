using FluentAssertions;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using OrderOutbox.Dispatching;
using OrderOutbox.Hosting;
using OrderOutbox.Processing;
using OrderOutbox.Tests.Support;
using OrderOutbox.Writing;
using Xunit;

namespace OrderOutbox.Tests.DependencyInjection;

public sealed class OrderOutboxServiceCollectionExtensionsTests
{
    private CancellationToken Ct => TestContext.Current.CancellationToken;

    private static HostApplicationBuilder NewBuilder()
    {
        HostApplicationBuilder builder = Host.CreateApplicationBuilder();
        builder.Logging.ClearProviders();
        return builder;
    }

    private static void Wire(HostApplicationBuilder builder, Action<OutboxOptions>? outbox = null, Action<HttpDispatcherOptions>? http = null)
    {
        builder.Services.AddSingleton<IOutboxStore>(new InMemoryOutboxStore());
        builder.Services
            .AddOrderOutbox(o =>
            {
                o.RunDispatcher = false;
                outbox?.Invoke(o);
            })
            .UseHttpDispatcher(h =>
            {
                h.Endpoint = new Uri("http://127.0.0.1:9/orders");
                http?.Invoke(h);
            });
    }

    private async Task<string> StartFailureAsync(HostApplicationBuilder builder)
    {
        using IHost host = builder.Build();
        Func<Task> start = () => host.StartAsync(Ct);
        Exception ex = (await start.Should().ThrowAsync<Exception>()).Which;
        return Flatten(ex);
    }

    private static string Flatten(Exception ex)
        => ex is AggregateException agg ? string.Join(" | ", agg.InnerExceptions.Select(Flatten)) : ex.Message + (ex.InnerException is null ? string.Empty : " | " + Flatten(ex.InnerException));

    public static TheoryData<string, Action<OutboxOptions>> InvalidOutboxOptions => new()
    {
        { "OutboxOptions.BatchSize = 0", o => o.BatchSize = 0 },
        { "OutboxOptions.BatchSize = 2147483647", o => o.BatchSize = int.MaxValue },
        { "OutboxOptions.PollingInterval = -00:00:01", o => o.PollingInterval = TimeSpan.FromSeconds(-1) },
        { "OutboxOptions.PollingInterval = 10675199.02:48:05.4775807", o => o.PollingInterval = TimeSpan.MaxValue },
        { "OutboxOptions.DispatchTimeout = 00:00:00", o => o.DispatchTimeout = TimeSpan.Zero },
        { "OutboxOptions.MaxConcurrency = -5", o => o.MaxConcurrency = -5 },
        { "OutboxOptions.LeaseDuration = 00:00:00", o => o.LeaseDuration = TimeSpan.Zero },
        { "OutboxOptions.MaxPayloadBytes = 0", o => o.MaxPayloadBytes = 0 },
        { "OutboxOptions.PurgeBatchSize = 0", o => o.PurgeBatchSize = 0 },
        { "OutboxOptions.PurgeBatchSize = 2001: The field PurgeBatchSize must be between 1 and 2000.", o => o.PurgeBatchSize = 2001 },
        { "OutboxOptions.SentRetention = 00:00:01", o => o.SentRetention = TimeSpan.FromSeconds(1) },
        { "OutboxOptions.InstanceId = '", o => o.InstanceId = new string('i', 101) },
        { "OutboxOptions.InstanceId = '   '", o => o.InstanceId = "   " },
        { "OutboxOptions.Backoff.MaxRetries = -1", o => o.Backoff.MaxRetries = -1 },
        { "OutboxOptions.Backoff.Multiplier = NaN", o => o.Backoff.Multiplier = double.NaN },
        { "OutboxOptions.Backoff.Multiplier = 0.5", o => o.Backoff.Multiplier = 0.5 },
        { "OutboxOptions.Backoff.InitialDelay = 00:00:00", o => o.Backoff.InitialDelay = TimeSpan.Zero },
        { "OutboxOptions.Backoff.InitialDelay = 02:00:00", o => o.Backoff.InitialDelay = TimeSpan.FromHours(2) },
        { "OutboxOptions.Backoff = null", o => o.Backoff = null! },
        { "OutboxOptions.JsonSerializerOptions = null", o => o.JsonSerializerOptions = null! },
        { "OutboxOptions.LeaseDuration = 00:01:00", o => o.LeaseDuration = TimeSpan.FromMinutes(1) },
        { "OutboxOptions.LeaseDuration = 00:05:00", o => { o.BatchSize = 1000; o.MaxConcurrency = 1; } },
    };

    [Theory]
    [MemberData(nameof(InvalidOutboxOptions))]
    public async Task An_invalid_outbox_option_fails_host_start_naming_the_option_and_value(string expected, Action<OutboxOptions> configure)
    {
        HostApplicationBuilder builder = NewBuilder();
        Wire(builder, configure);

        string message = await StartFailureAsync(builder);

        message.Should().Contain(expected);
    }

    [Fact]
    public async Task The_lease_message_names_the_required_minimum()
    {
        HostApplicationBuilder builder = NewBuilder();
        Wire(builder, o => o.LeaseDuration = TimeSpan.FromMinutes(1));

        string message = await StartFailureAsync(builder);

        message.Should().Contain("must exceed 00:03:30").And.Contain("DispatchTimeout (00:00:10)").And.Contain("BatchSize 10").And.Contain("MaxConcurrency 1");
    }

    public static TheoryData<string, Action<HttpDispatcherOptions>> InvalidHttpOptions => new()
    {
        { "HttpDispatcherOptions.Endpoint = null", h => h.Endpoint = null },
        { "HttpDispatcherOptions.Endpoint = '/orders'", h => h.Endpoint = new Uri("/orders", UriKind.Relative) },
        { "HttpDispatcherOptions.Endpoint = 'ftp://example.com/orders'", h => h.Endpoint = new Uri("ftp://example.com/orders") },
        { "HttpDispatcherOptions.Endpoint = 'file:///etc/passwd'", h => h.Endpoint = new Uri("file:///etc/passwd") },
        { "HttpDispatcherOptions.MaxErrorBodyLength = -1", h => h.MaxErrorBodyLength = -1 },
        { "HttpDispatcherOptions.MaxRetryAfter = 00:00:00", h => h.MaxRetryAfter = TimeSpan.Zero },
        { "HttpDispatcherOptions.Source = ''", h => h.Source = string.Empty },
        { "HttpDispatcherOptions.Source = '  '", h => h.Source = "  " },
    };

    [Theory]
    [MemberData(nameof(InvalidHttpOptions))]
    public async Task An_invalid_http_option_fails_host_start_naming_the_option(string expected, Action<HttpDispatcherOptions> configure)
    {
        HostApplicationBuilder builder = NewBuilder();
        Wire(builder, http: configure);

        string message = await StartFailureAsync(builder);

        message.Should().Contain(expected);
    }

    [Fact]
    public async Task Options_bound_from_configuration_are_validated_too()
    {
        HostApplicationBuilder builder = NewBuilder();
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["OrderOutbox:BatchSize"] = "20",
            ["OrderOutbox:RunDispatcher"] = "false",
            ["OrderOutbox:Backoff:MaxRetries"] = "-3",
            ["OrderOutbox:Http:Endpoint"] = "https://data-platform.internal/orders",
        });
        builder.Services.AddSingleton<IOutboxStore>(new InMemoryOutboxStore());
        builder.Services.AddOrderOutbox(builder.Configuration.GetSection(OutboxOptions.SectionName))
            .UseHttpDispatcher(builder.Configuration.GetSection(HttpDispatcherOptions.SectionName));

        string message = await StartFailureAsync(builder);

        message.Should().Contain("OutboxOptions.Backoff.MaxRetries = -3");
    }

    [Fact]
    public async Task Options_bind_from_configuration()
    {
        HostApplicationBuilder builder = NewBuilder();
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["OrderOutbox:BatchSize"] = "20",
            ["OrderOutbox:RunDispatcher"] = "false",
            ["OrderOutbox:DispatchTimeout"] = "00:00:05",
            ["OrderOutbox:Backoff:MaxRetries"] = "3",
            ["OrderOutbox:Http:Endpoint"] = "https://data-platform.internal/orders",
            ["OrderOutbox:Http:RetryClientErrors"] = "true",
        });
        builder.Services.AddSingleton<IOutboxStore>(new InMemoryOutboxStore());
        builder.Services.AddOrderOutbox(builder.Configuration.GetSection(OutboxOptions.SectionName))
            .UseHttpDispatcher(builder.Configuration.GetSection(HttpDispatcherOptions.SectionName));
        using IHost host = builder.Build();

        await host.StartAsync(Ct);
        OutboxOptions options = host.Services.GetRequiredService<IOptions<OutboxOptions>>().Value;
        HttpDispatcherOptions http = host.Services.GetRequiredService<IOptions<HttpDispatcherOptions>>().Value;
        await host.StopAsync(Ct);

        options.BatchSize.Should().Be(20);
        options.DispatchTimeout.Should().Be(TimeSpan.FromSeconds(5));
        options.Backoff.MaxRetries.Should().Be(3);
        http.Endpoint.Should().Be(new Uri("https://data-platform.internal/orders"));
        http.RetryClientErrors.Should().BeTrue();
    }

    [Fact]
    public async Task A_missing_store_fails_start_naming_the_three_use_methods()
    {
        HostApplicationBuilder builder = NewBuilder();
        builder.Services.AddOrderOutbox().UseHttpDispatcher(h => h.Endpoint = new Uri("http://127.0.0.1:9/"));

        string message = await StartFailureAsync(builder);

        message.Should().Contain("UsePostgreSql").And.Contain("UseSqlServer").And.Contain("UseSqlite");
    }

    [Fact]
    public async Task A_missing_dispatcher_fails_start_naming_use_http_dispatcher()
    {
        HostApplicationBuilder builder = NewBuilder();
        builder.Services.AddSingleton<IOutboxStore>(new InMemoryOutboxStore());
        builder.Services.AddOrderOutbox();

        string message = await StartFailureAsync(builder);

        message.Should().Contain("UseHttpDispatcher").And.Contain("IDispatcher");
    }

    [Fact]
    public async Task A_host_that_only_enqueues_needs_no_dispatcher()
    {
        HostApplicationBuilder builder = NewBuilder();
        builder.Services.AddSingleton<IOutboxStore>(new InMemoryOutboxStore());
        builder.Services.AddOrderOutbox(o => o.RunDispatcher = false);
        using IHost host = builder.Build();

        await host.StartAsync(Ct);
        host.Services.GetRequiredService<IOutboxWriter>().Should().BeOfType<OutboxWriter>();
        await host.StopAsync(Ct);
    }

    [Fact]
    public void A_plain_generic_host_gets_exactly_one_dispatcher_hosted_service()
    {
        HostApplicationBuilder builder = NewBuilder();
        Wire(builder);
        builder.Services.AddOrderOutbox();
        using IHost host = builder.Build();

        host.Services.GetServices<IHostedService>().OfType<OutboxDispatcherService>().Should().ContainSingle();
    }

    [Fact]
    public void The_defaults_are_registered()
    {
        HostApplicationBuilder builder = NewBuilder();
        Wire(builder);
        using IHost host = builder.Build();

        host.Services.GetRequiredService<IBackoffPolicy>().Should().BeOfType<ExponentialBackoffPolicy>();
        host.Services.GetRequiredService<IDispatcher>().Should().BeOfType<HttpDispatcher>();
        host.Services.GetRequiredService<IOutboxProcessor>().Should().BeOfType<OutboxProcessor>();
        host.Services.GetRequiredService<TimeProvider>().Should().BeSameAs(TimeProvider.System);
        host.Services.GetRequiredService<OutboxWakeUp>().Should().NotBeNull();
    }

    [Fact]
    public void User_registrations_replace_the_defaults_whether_made_before_or_after()
    {
        var before = new HostApplicationBuilder();
        var backoff = new FixedBackoff();
        var dispatcher = new TestDispatcher(TimeProvider.System, (_, _) => DispatchResult.Success);
        var time = new FakeTimeProvider();
        before.Services.AddSingleton<IBackoffPolicy>(backoff);
        before.Services.AddSingleton<IDispatcher>(dispatcher);
        before.Services.AddSingleton<TimeProvider>(time);
        Wire(before);

        var after = new HostApplicationBuilder();
        Wire(after);
        after.Services.AddSingleton<IBackoffPolicy>(backoff);
        after.Services.AddSingleton<IDispatcher>(dispatcher);
        after.Services.AddSingleton<TimeProvider>(time);

        foreach (HostApplicationBuilder builder in new[] { before, after })
        {
            using IHost host = builder.Build();
            host.Services.GetRequiredService<IBackoffPolicy>().Should().BeSameAs(backoff);
            host.Services.GetRequiredService<IDispatcher>().Should().BeSameAs(dispatcher);
            host.Services.GetRequiredService<TimeProvider>().Should().BeSameAs(time);
        }
    }

    [Fact]
    public async Task The_named_http_client_has_no_timeout_of_its_own()
    {
        HostApplicationBuilder builder = NewBuilder();
        Wire(builder);
        using IHost host = builder.Build();

        using HttpClient client = host.Services.GetRequiredService<IHttpClientFactory>().CreateClient(HttpDispatcherOptions.HttpClientName);

        client.Timeout.Should().Be(Timeout.InfiniteTimeSpan);
        await Task.CompletedTask;
    }

    private sealed class FixedBackoff : IBackoffPolicy
    {
        public bool TryGetRetryDelay(int failedAttempts, out TimeSpan delay)
        {
            delay = TimeSpan.FromSeconds(1);
            return true;
        }
    }
}
