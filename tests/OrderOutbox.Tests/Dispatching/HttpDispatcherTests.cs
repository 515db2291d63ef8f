using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using FluentAssertions;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Time.Testing;
using OrderOutbox.Dispatching;
using OrderOutbox.Processing;
using OrderOutbox.Tests.EndToEnd;
using OrderOutbox.Tests.Support;
using Xunit;

namespace OrderOutbox.Tests.Dispatching;

/// <summary>The HTTP dispatcher against a real loopback Kestrel server.</summary>
public sealed class HttpDispatcherTests : IAsyncLifetime
{
    private static readonly DateTimeOffset Now = new(2026, 3, 1, 9, 30, 15, 123, TimeSpan.Zero);
    private readonly List<ServiceProvider> _providers = [];
    private LoopbackServer _server = null!;

    private CancellationToken Ct => TestContext.Current.CancellationToken;

    public async ValueTask InitializeAsync() => _server = await LoopbackServer.StartAsync();

    public async ValueTask DisposeAsync()
    {
        foreach (ServiceProvider provider in _providers)
        {
            await provider.DisposeAsync();
        }

        await _server.DisposeAsync();
    }

    private IDispatcher Dispatcher(Uri endpoint, Action<HttpDispatcherOptions>? configure = null, TimeProvider? time = null, ILoggerProvider? logs = null)
    {
        var services = new ServiceCollection();
        services.AddLogging(b =>
        {
            if (logs is not null)
            {
                b.SetMinimumLevel(LogLevel.Debug).AddProvider(logs);
            }
        });
        services.AddSingleton(time ?? new FakeTimeProvider(Now));
        services.AddOrderOutbox().UseHttpDispatcher(h =>
        {
            h.Endpoint = endpoint;
            configure?.Invoke(h);
        });
        ServiceProvider provider = services.BuildServiceProvider();
        _providers.Add(provider);
        return provider.GetRequiredService<IDispatcher>();
    }

    private static OutboxMessage Message(string payload = "{\"orderId\":\"o-1\"}", string? aggregateId = "o-1", string? headers = null, string messageType = "order.completed") => new()
    {
        Id = MessageId.NewId(Now),
        MessageType = messageType,
        AggregateId = aggregateId,
        Payload = payload,
        Headers = headers,
        CreatedAt = Now,
        NextAttemptAt = Now,
        LeaseOwner = "test/1",
    };

    private async Task<DispatchResult> SendAsync(string query, Action<HttpDispatcherOptions>? configure = null, TimeProvider? time = null)
        => await Dispatcher(_server.Url("orders" + query), configure, time).DispatchAsync(Message(), Ct);

    [Fact]
    public async Task A_refusal_logs_its_status_line_at_information_and_the_receivers_body_only_at_debug()
    {
        var logs = new EndToEndLogs();
        IDispatcher dispatcher = Dispatcher(_server.Url("orders?status=500&body=echo-of-card-4111"), logs: logs);

        DispatchResult result = await dispatcher.DispatchAsync(Message(), Ct);

        result.Error.Should().Contain("echo-of-card-4111", "the body is kept in last_error for the operator");
        List<LogEntry> entries = logs.Entries.Snapshot().Where(e => e.Category == typeof(HttpDispatcher).FullName).ToList();
        entries.Should().Contain(e => e.Level == LogLevel.Information && e.Message.Contains("HTTP 500", StringComparison.Ordinal), "the status line is worth an Information entry");
        entries.Where(e => e.Level >= LogLevel.Information).Should().NotContain(
            e => e.Message.Contains("4111", StringComparison.Ordinal), "receivers that echo the request would put payload data in the logs");
        entries.Should().Contain(e => e.Level == LogLevel.Debug && e.Message.Contains("echo-of-card-4111", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData(200)]
    [InlineData(201)]
    [InlineData(202)]
    [InlineData(204)]
    public async Task A_2xx_answer_is_a_success(int status)
    {
        DispatchResult result = await SendAsync($"?status={status}");

        result.Should().Be(DispatchResult.Success);
        _server.Requests.Should().ContainSingle();
    }

    [Theory]
    [InlineData(400, "Bad Request", DispatchResultKind.PermanentFailure, false)]
    [InlineData(409, "Conflict", DispatchResultKind.PermanentFailure, false)]
    [InlineData(413, "Payload Too Large", DispatchResultKind.PermanentFailure, false)]
    [InlineData(415, "Unsupported Media Type", DispatchResultKind.PermanentFailure, false)]
    [InlineData(422, "Unprocessable Entity", DispatchResultKind.PermanentFailure, false)]
    [InlineData(401, "Unauthorized", DispatchResultKind.TransientFailure, true)]
    [InlineData(403, "Forbidden", DispatchResultKind.TransientFailure, true)]
    [InlineData(404, "Not Found", DispatchResultKind.TransientFailure, true)]
    [InlineData(405, "Method Not Allowed", DispatchResultKind.TransientFailure, true)]
    [InlineData(410, "Gone", DispatchResultKind.TransientFailure, true)]
    [InlineData(421, "Misdirected Request", DispatchResultKind.TransientFailure, true)]
    public async Task Message_faults_are_permanent_and_endpoint_faults_transient_with_status_reason_and_body(int status, string reason, DispatchResultKind kind, bool endpointFault)
    {
        DispatchResult result = await SendAsync($"?status={status}&body=order%20rejected");

        result.Kind.Should().Be(kind);
        result.IsEndpointFault.Should().Be(endpointFault);
        result.Error.Should().Be($"HTTP {status} {reason}: order rejected");
        result.RetryAfter.Should().BeNull();
    }

    [Fact]
    public async Task Client_errors_are_retried_when_configured()
    {
        DispatchResult result = await SendAsync("?status=409", h => h.RetryClientErrors = true);

        result.Kind.Should().Be(DispatchResultKind.TransientFailure);
        result.IsEndpointFault.Should().BeFalse();
        result.Error.Should().Be("HTTP 409 Conflict");
    }

    [Fact]
    public async Task The_status_policy_reclassifies_a_code()
    {
        DispatchResult notFound = await SendAsync("?status=404", h => h.StatusPolicy["404"] = HttpStatusKind.MessageFault);
        DispatchResult conflict = await SendAsync("?status=409", h => h.StatusPolicy["409"] = HttpStatusKind.Success);

        notFound.Kind.Should().Be(DispatchResultKind.PermanentFailure);
        conflict.Should().Be(DispatchResult.Success, "a receiver that answers 409 for a duplicate has the message already");
    }

    [Fact]
    public async Task A_429_with_retry_after_pauses_the_whole_endpoint_for_the_time_asked()
    {
        var time = new FakeTimeProvider(Now);
        IDispatcher dispatcher = Dispatcher(_server.Url("orders?status=429&retry-after=30"), time: time);

        DispatchResult first = await dispatcher.DispatchAsync(Message(), Ct);
        DispatchResult during = await dispatcher.DispatchAsync(Message(), Ct);
        time.Advance(TimeSpan.FromSeconds(30));
        DispatchResult after = await dispatcher.DispatchAsync(Message(), Ct);

        first.RetryAfter.Should().Be(TimeSpan.FromSeconds(30));
        during.Kind.Should().Be(DispatchResultKind.TransientFailure);
        during.IsNotSent.Should().BeTrue("a record held back by the pause must not spend a retry");
        during.RetryAfter.Should().Be(TimeSpan.FromSeconds(30));
        during.Error.Should().Contain("paused");
        after.Error.Should().StartWith("HTTP 429");
        _server.Requests.Should().HaveCount(2, "nothing is sent to the endpoint while it asked to wait");
    }

    [Fact]
    public async Task The_rate_limit_holds_requests_until_the_clock_allows_them()
    {
        var time = new FakeTimeProvider(Now);
        IDispatcher dispatcher = Dispatcher(_server.Url("orders"), h => { h.MaxRequestsPerSecond = 2; h.RateLimitBurst = 1; }, time);

        (await dispatcher.DispatchAsync(Message(), Ct)).Should().Be(DispatchResult.Success);
        Task<DispatchResult> second = dispatcher.DispatchAsync(Message(), Ct).AsTask();
        Task<DispatchResult> third = dispatcher.DispatchAsync(Message(), Ct).AsTask();
        time.Advance(TimeSpan.FromMilliseconds(499));

        second.IsCompleted.Should().BeFalse("2 per second with a burst of 1 allows the next request after 500 ms");
        _server.Requests.Should().ContainSingle();
        time.Advance(TimeSpan.FromMilliseconds(1));
        (await second.WaitAsync(TimeSpan.FromSeconds(30), Ct)).Should().Be(DispatchResult.Success);
        third.IsCompleted.Should().BeFalse("the third waits its own 500 ms behind the second");
        _server.Requests.Should().HaveCount(2);
        time.Advance(TimeSpan.FromMilliseconds(500));
        (await third.WaitAsync(TimeSpan.FromSeconds(30), Ct)).Should().Be(DispatchResult.Success);
        _server.Requests.Should().HaveCount(3);
    }

    [Fact]
    public async Task An_endpoints_own_timeout_ends_the_call_as_a_transient_failure()
    {
        var time = new FakeTimeProvider(Now);
        IDispatcher dispatcher = Dispatcher(_server.Url("unused"), h =>
        {
            h.Endpoint = null;
            h.Endpoints["slow"] = new HttpEndpointOptions { Url = _server.Url("orders?hang=1"), Timeout = TimeSpan.FromSeconds(2) };
            h.DefaultEndpoint = "slow";
        }, time);

        Task<DispatchResult> call = dispatcher.DispatchAsync(Message(), Ct).AsTask();
        time.Advance(TimeSpan.FromSeconds(2));
        DispatchResult result = await call.WaitAsync(TimeSpan.FromSeconds(30), Ct);

        result.Kind.Should().Be(DispatchResultKind.TransientFailure);
        result.Error.Should().Be("Timed out after 2 s (endpoint 'slow' Timeout).");
    }

    [Fact]
    public async Task A_503_with_retry_after_delays_only_its_own_record()
    {
        IDispatcher dispatcher = Dispatcher(_server.Url("orders?status=503&retry-after=30"));

        await dispatcher.DispatchAsync(Message(), Ct);
        await dispatcher.DispatchAsync(Message(), Ct);

        _server.Requests.Should().HaveCount(2);
    }

    [Theory]
    [InlineData(408, "Request Timeout")]
    [InlineData(429, "Too Many Requests")]
    [InlineData(500, "Internal Server Error")]
    [InlineData(502, "Bad Gateway")]
    [InlineData(503, "Service Unavailable")]
    public async Task Timeouts_throttling_and_5xx_are_transient(int status, string reason)
    {
        DispatchResult result = await SendAsync($"?status={status}&body=down%20for%20maintenance");

        result.Kind.Should().Be(DispatchResultKind.TransientFailure);
        result.Error.Should().Be($"HTTP {status} {reason}: down for maintenance");
        result.RetryAfter.Should().BeNull();
    }

    [Theory]
    [InlineData(429)]
    [InlineData(503)]
    public async Task Retry_after_in_seconds_is_passed_on(int status)
    {
        DispatchResult result = await SendAsync($"?status={status}&retry-after=120");

        result.Kind.Should().Be(DispatchResultKind.TransientFailure);
        result.RetryAfter.Should().Be(TimeSpan.FromSeconds(120));
    }

    [Fact]
    public async Task Retry_after_as_an_http_date_is_measured_from_the_time_provider()
    {
        string date = Uri.EscapeDataString(Now.AddMinutes(10).ToString("R"));

        DispatchResult result = await SendAsync($"?status=429&retry-after={date}");

        result.RetryAfter.Should().Be(TimeSpan.FromMinutes(10) - TimeSpan.FromMilliseconds(123), "HTTP dates have whole seconds");
    }

    [Fact]
    public async Task A_retry_after_date_in_the_past_asks_for_nothing()
    {
        string date = Uri.EscapeDataString(Now.AddMinutes(-10).ToString("R"));

        DispatchResult result = await SendAsync($"?status=503&retry-after={date}");

        result.Kind.Should().Be(DispatchResultKind.TransientFailure);
        result.RetryAfter.Should().BeNull();
    }

    [Fact]
    public async Task Retry_after_is_capped_at_max_retry_after()
    {
        DispatchResult result = await SendAsync("?status=429&retry-after=999999", h => h.MaxRetryAfter = TimeSpan.FromMinutes(30));

        result.RetryAfter.Should().Be(TimeSpan.FromMinutes(30));
    }

    [Fact]
    public async Task The_error_body_is_truncated_to_max_error_body_length()
    {
        DispatchResult result = await SendAsync("?status=500&body=0123456789abcdef", h => h.MaxErrorBodyLength = 10);

        result.Error.Should().Be("HTTP 500 Internal Server Error: 0123456789");
    }

    [Fact]
    public async Task A_redirect_is_not_followed_so_the_body_is_never_lost_to_a_get_and_is_an_endpoint_fault()
    {
        DispatchResult result = await SendAsync("?status=302&location=%2Felsewhere");

        result.Kind.Should().Be(DispatchResultKind.TransientFailure);
        result.IsEndpointFault.Should().BeTrue("a redirect answered to a POST means the configured URL is wrong");
        result.Error.Should().StartWith("HTTP 302 Found");
        _server.Requests.Should().ContainSingle();
    }

    [Fact]
    public async Task A_closed_port_is_a_transient_connection_failure()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        int port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();

        DispatchResult result = await Dispatcher(new Uri($"http://127.0.0.1:{port}/orders")).DispatchAsync(Message(), Ct);

        result.Kind.Should().Be(DispatchResultKind.TransientFailure);
        result.Error.Should().StartWith("HttpRequestException: ");
    }

    [Fact]
    public async Task A_server_that_never_answers_times_out_at_the_dispatch_timeout_through_the_engine()
    {
        var store = new InMemoryOutboxStore();
        Guid id = store.AddMany(1, DateTimeOffset.UtcNow.AddSeconds(-1))[0];
        IDispatcher dispatcher = Dispatcher(_server.Url("orders?hang=1"), time: TimeProvider.System);
        OutboxProcessor processor = Processors.Create(store, dispatcher, TimeProvider.System, new OutboxOptions { DispatchTimeout = TimeSpan.FromMilliseconds(500) });

        (await processor.ProcessOnceAsync(Ct)).Should().Be(1);

        OutboxMessage record = store.Get(id);
        record.Status.Should().Be(OutboxStatus.Failed);
        record.RetryCount.Should().Be(1);
        record.LastError.Should().Be("Timeout after 500ms");
        _server.Requests.Should().ContainSingle();
    }

    [Fact]
    public async Task The_body_arrives_byte_identical_to_the_stored_payload()
    {
        const string payload = "{ \"name\" :  \"Käse 🧀 naïve\",\n\t\"amount\": 1.50 ,\"escaped\":\"\\u00e9\\n\",  \"rtl\": \"שלום\" }  ";

        DispatchResult result = await Dispatcher(_server.Url("orders")).DispatchAsync(Message(payload), Ct);

        result.Should().Be(DispatchResult.Success);
        ReceivedRequest request = _server.Requests.Single();
        request.Method.Should().Be("POST");
        request.Body.Should().Equal(Encoding.UTF8.GetBytes(payload));
        request.Headers["Content-Type"].Should().Be("application/json; charset=utf-8");
    }

    [Fact]
    public async Task The_idempotency_key_cloud_events_and_trace_headers_arrive()
    {
        const string traceParent = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";
        OutboxMessage message = Message(aggregateId: "order 42/ü", headers: $"{{\"traceparent\":\"{traceParent}\",\"tracestate\":\"congo=t61rcWkgMzE\"}}");

        await Dispatcher(_server.Url("orders"), h => h.Source = "urn:shop:orders").DispatchAsync(message, Ct);

        Dictionary<string, string> headers = _server.Requests.Single().Headers;
        headers["Idempotency-Key"].Should().Be(message.Id.ToString());
        headers["ce-id"].Should().Be(message.Id.ToString());
        headers["ce-specversion"].Should().Be("1.0");
        headers["ce-source"].Should().Be("urn:shop:orders");
        headers["ce-type"].Should().Be("order.completed");
        headers["ce-time"].Should().Be("2026-03-01T09:30:15.1230000Z");
        headers["ce-subject"].Should().Be("order%2042/%C3%BC");
        headers["traceparent"].Should().Be(traceParent);
        headers["tracestate"].Should().Be("congo=t61rcWkgMzE");
    }

    public static TheoryData<string, string> UnsafeTraceState => new()
    {
        { "CR LF and an injected header", "congo=t61\r\nX-Injected: 1" },
        { "a bare LF", "congo=t61\nrojo=00f0" },
        { "NUL", "congo=t61\u0000" },
        { "BEL", "congo=\u0007t61" },
        { "DEL", "congo=t61\u007f" },
        { "non-ASCII", "congo=t\u00fc61" },
    };

    [Theory]
    [MemberData(nameof(UnsafeTraceState))]
    public async Task A_stored_tracestate_with_control_characters_is_dropped_with_a_warning_and_the_request_still_goes(string why, string traceState)
    {
        const string traceParent = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";
        OutboxMessage message = Message(headers: JsonSerializer.Serialize(new Dictionary<string, string> { ["traceparent"] = traceParent, ["tracestate"] = traceState }));
        var logs = new EndToEndLogs();

        DispatchResult result = await Dispatcher(_server.Url("orders"), logs: logs).DispatchAsync(message, Ct);

        result.Should().Be(DispatchResult.Success, "a bad stored trace header must not break the request ({0})", why);
        Dictionary<string, string> headers = _server.Requests.Single().Headers;
        headers["traceparent"].Should().Be(traceParent, "the valid traceparent still goes");
        headers.Should().NotContainKey("tracestate", "a value with control characters is not sent raw");
        headers.Should().NotContainKey("X-Injected");
        logs.Entries.Snapshot().Should().ContainSingle(e => e.Category == typeof(HttpDispatcher).FullName && e.Level == LogLevel.Warning)
            .Which.Message.Should().Contain(message.Id.ToString()).And.Contain("tracestate");
    }

    [Fact]
    public async Task A_stored_traceparent_with_control_characters_is_dropped_with_its_tracestate()
    {
        OutboxMessage message = Message(headers: "{\"traceparent\":\"00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01\\r\\nX-Injected: 1\",\"tracestate\":\"congo=t61\"}");
        var logs = new EndToEndLogs();

        DispatchResult result = await Dispatcher(_server.Url("orders"), logs: logs).DispatchAsync(message, Ct);

        result.Should().Be(DispatchResult.Success);
        Dictionary<string, string> headers = _server.Requests.Single().Headers;
        headers.Should().NotContainKey("traceparent").And.NotContainKey("tracestate").And.NotContainKey("X-Injected");
        logs.Entries.Snapshot().Should().ContainSingle(e => e.Category == typeof(HttpDispatcher).FullName && e.Level == LogLevel.Warning)
            .Which.Message.Should().Contain("traceparent");
    }

    [Fact]
    public async Task A_stored_message_type_without_a_route_is_dead_lettered_at_once_naming_the_fix()
    {
        var logs = new EndToEndLogs();
        IDispatcher dispatcher = Dispatcher(_server.Url("orders"), h =>
        {
            h.Endpoint = null;
            h.Endpoints["orders"] = new HttpEndpointOptions { Url = _server.Url("orders") };
            h.Routes["order.*"] = "orders";
        }, logs: logs);
        OutboxMessage message = Message(messageType: "customer.created");

        DispatchResult result = await dispatcher.DispatchAsync(message, Ct);

        result.Kind.Should().Be(DispatchResultKind.PermanentFailure, "a record no route covers is a configuration error: retrying cannot help, and it must not spend a retry schedule");
        result.Error.Should().Contain("'customer.created'").And.Contain("HttpDispatcherOptions.Routes").And.Contain("requeue");
        _server.Requests.Should().BeEmpty();
        logs.Entries.Snapshot().Should().ContainSingle(e => e.Category == typeof(HttpDispatcher).FullName && e.Level == LogLevel.Error)
            .Which.Message.Should().Contain("customer.created");
    }

    [Fact]
    public async Task Without_an_aggregate_id_or_trace_there_is_no_subject_or_traceparent()
    {
        await Dispatcher(_server.Url("orders")).DispatchAsync(Message(aggregateId: null), Ct);

        Dictionary<string, string> headers = _server.Requests.Single().Headers;
        headers.Should().NotContainKey("ce-subject");
        headers.Should().NotContainKey("traceparent");
    }

    [Fact]
    public async Task When_the_dispatch_is_traced_the_receiver_sees_the_same_trace()
    {
        const string traceId = "4bf92f3577b34da6a3ce929d0e0e4736";
        string stored = $"{{\"traceparent\":\"00-{traceId}-00f067aa0ba902b7-01\"}}";
        var store = new InMemoryOutboxStore();
        store.Add(new OutboxEntry(MessageId.NewId(DateTimeOffset.UtcNow), "order.completed", null, "{}", stored, DateTimeOffset.UtcNow.AddSeconds(-1)));
        using var listener = new ActivityListener
        {
            ShouldListenTo = s => s.Name == "OrderOutbox",
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
        };
        ActivitySource.AddActivityListener(listener);
        OutboxProcessor processor = Processors.Create(store, Dispatcher(_server.Url("orders"), time: TimeProvider.System), TimeProvider.System);

        await processor.ProcessOnceAsync(Ct);

        string received = _server.Requests.Single().Headers["traceparent"];
        received.Should().StartWith($"00-{traceId}-").And.NotContain("00f067aa0ba902b7", "the receiver's parent is the dispatch span");
    }

    [Fact]
    public async Task When_the_dispatch_is_traced_a_stored_tracestate_with_a_line_break_is_not_continued_into_the_request()
    {
        const string traceId = "4bf92f3577b34da6a3ce929d0e0e4736";
        string stored = JsonSerializer.Serialize(new Dictionary<string, string>
        {
            ["traceparent"] = $"00-{traceId}-00f067aa0ba902b7-01",
            ["tracestate"] = "congo=t61\r\nX-Injected: 1",
        });
        var store = new InMemoryOutboxStore();
        store.Add(new OutboxEntry(MessageId.NewId(DateTimeOffset.UtcNow), "order.completed", null, "{}", stored, DateTimeOffset.UtcNow.AddSeconds(-1)));
        using var listener = new ActivityListener
        {
            ShouldListenTo = s => s.Name == "OrderOutbox",
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
        };
        ActivitySource.AddActivityListener(listener);
        OutboxProcessor processor = Processors.Create(store, Dispatcher(_server.Url("orders"), time: TimeProvider.System), TimeProvider.System);

        await processor.ProcessOnceAsync(Ct);

        Dictionary<string, string> headers = _server.Requests.Single().Headers;
        headers["traceparent"].Should().StartWith($"00-{traceId}-", "the trace still continues");
        headers.Should().NotContainKey("X-Injected");
        if (headers.TryGetValue("tracestate", out string? sent))
        {
            sent.Should().NotContain("X-Injected");
        }
    }
}
