// OrderOutbox sample: an order service that completes orders and, in the same transaction, enqueues an
// OrderCompleted event; the outbox's background dispatcher delivers the events to a data platform over HTTP.
//
//   dotnet run --project samples/OrderOutbox.Sample
//   dotnet run --project samples/OrderOutbox.Sample -- --Sample:Store PostgreSql --ConnectionStrings:Outbox "Host=...;Database=..."
//
// Configuration keys: see appsettings.json (and README.md, "Run the sample").
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Console;
using Microsoft.Extensions.Options;
using OrderOutbox;
using OrderOutbox.Dispatching;
using OrderOutbox.Sample;

try
{
    return await RunAsync(args);
}
catch (SampleException ex)
{
    Console.Error.WriteLine($"OrderOutbox.Sample: {ex.Message}");
    return ex.ExitCode;
}

static async Task<int> RunAsync(string[] args)
{
    var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings
    {
        Args = args,
        ContentRootPath = AppContext.BaseDirectory, // finds appsettings.json whatever the working folder
    });

    var settings = SampleSettings.Load(builder.Configuration);
    var view = ProgressView.Create();
    ConfigureLogging(builder.Logging, view.IsLive);
    var database = SampleDatabase.Create(settings);

    // Order completions are traced with the sample's own ActivitySource; the outbox captures that trace at enqueue and
    // its dispatch span continues it, so the data platform receives a traceparent of the order's trace.
    using var tracing = SampleTelemetry.Listen();
    var fakePlatformEndpoint = new FakeEndpointHolder();

    // ---- The outbox wiring: this is what an application writes. ------------------------------------------------
    var outbox = builder.Services.AddOrderOutbox(builder.Configuration.GetSection(OutboxOptions.SectionName));
    _ = settings.Store switch
    {
        StoreKind.PostgreSql => outbox.UsePostgreSql(database.ConnectionString),
        StoreKind.SqlServer => outbox.UseSqlServer(database.ConnectionString),
        _ => outbox.UseSqlite(database.ConnectionString),
    };
    outbox.UseHttpDispatcher(builder.Configuration.GetSection(HttpDispatcherOptions.SectionName));
    builder.Services.AddSingleton<DeadLetterAlerts>();
    builder.Services.AddSingleton<IDeadLetterHandler>(sp => sp.GetRequiredService<DeadLetterAlerts>());
    // -------------------------------------------------------------------------------------------------------------

    // Without OrderOutbox:Http:Endpoint, deliver to the built-in fake data platform (started below).
    builder.Services.PostConfigure<HttpDispatcherOptions>(o => o.Endpoint ??= fakePlatformEndpoint.Endpoint);
    builder.Services.AddSingleton(database);
    builder.Services.AddSingleton<OrderService>();

    using var host = builder.Build();
    try
    {
        var time = host.Services.GetRequiredService<TimeProvider>();
        var outboxOptions = Validated(() => host.Services.GetRequiredService<IOptions<OutboxOptions>>().Value);

        var newOrders = NewOrder.Generate(settings.Orders, settings.Seed, time.GetUtcNow());
        await using var platform = settings.ExternalEndpoint is null
            ? await FakeDataPlatform.StartAsync(
                FailurePlan.Create([.. newOrders.Select(o => o.Id)], settings.Seed),
                slowAnswer: outboxOptions.DispatchTimeout + TimeSpan.FromSeconds(1),
                time,
                CancellationToken.None)
            : null;
        fakePlatformEndpoint.Endpoint = platform?.Endpoint;
        var httpOptions = Validated(() => host.Services.GetRequiredService<IOptions<HttpDispatcherOptions>>().Value);

        var orders = host.Services.GetRequiredService<OrderService>();
        await PrepareDatabaseAsync(Validated(() => host.Services.GetRequiredService<IOutboxStore>()), orders, database);
        view.Intro(Describe(settings, database, outboxOptions, httpOptions, platform));

        await host.StartAsync();
        var stopping = host.Services.GetRequiredService<IHostApplicationLifetime>().ApplicationStopping;
        var scenario = new OrderScenario(
            settings,
            orders,
            Validated(() => host.Services.GetRequiredService<IOutboxAdmin>()),
            outboxOptions,
            host.Services.GetRequiredService<DeadLetterAlerts>(),
            platform,
            time);
        var report = await view.RunAsync(show => scenario.RunAsync(newOrders, show, stopping));
        await host.StopAsync();

        ProgressView.Summary(report);
        return report.Success ? 0 : 1;
    }
    catch (Exception ex) when (SampleException.IsDatabaseFailure(ex))
    {
        throw SampleException.Database($"the database ({database.Description}) cannot be used: {SampleException.OneLine(ex)}", ex);
    }
    finally
    {
        database.CleanUp();
    }
}

static async Task PrepareDatabaseAsync(IOutboxStore store, OrderService orders, SampleDatabase database)
{
    try
    {
        // The outbox table (idempotent) and the sample's own order tables.
        await store.EnsureSchemaAsync();
        await orders.CreateTablesAsync(CancellationToken.None);
    }
    catch (Exception ex) when (SampleException.IsDatabaseFailure(ex))
    {
        throw SampleException.Database($"cannot reach or set up the database ({database.Description}): {SampleException.OneLine(ex)}", ex);
    }
}

static T Validated<T>(Func<T> read)
{
    try
    {
        return read();
    }
    catch (Exception ex) when (ex is OptionsValidationException or InvalidOperationException or ArgumentException)
    {
        throw SampleException.Configuration($"invalid configuration: {SampleException.OneLine(ex)}", ex);
    }
}

static IEnumerable<(string, string)> Describe(
    SampleSettings settings, SampleDatabase database, OutboxOptions outbox, HttpDispatcherOptions http, FakeDataPlatform? platform)
{
    yield return ("store", database.Description);
    yield return ("orders", $"{settings.Orders} (exit when drained: {(settings.ExitWhenDrained ? "yes" : "no, Ctrl+C to stop")})");
    yield return platform is null
        ? ("receiver", $"{http.Endpoint} (external)")
        : ("receiver", $"built-in fake data platform at {platform.Endpoint}; seed {settings.Seed}: " +
            $"{platform.Plan.UnavailableOrders} orders get 503s, {platform.Plan.SlowOrders} slow answer, {platform.Plan.RejectedOrders} rejected with 400");
    var backoff = new ExponentialBackoffPolicy(outbox.Backoff);
    var delays = Enumerable.Range(1, outbox.Backoff.MaxRetries)
        .Select(n => backoff.TryGetRetryDelay(n, out var d) ? d : TimeSpan.Zero)
        .Select(d => d.TotalSeconds < 60 ? $"{d.TotalSeconds:0.#}s" : $"{d.TotalMinutes:0.#}min");
    yield return ("timing", $"poll every {outbox.PollingInterval.TotalSeconds:0.###}s, timeout {outbox.DispatchTimeout.TotalSeconds:0.###}s, " +
        $"retries after {string.Join(", ", delays)}, then dead letter");
    if (outbox.PollingInterval < OutboxOptions.DefaultPollingInterval)
    {
        yield return (string.Empty, "(demo timing from appsettings.json; the library's defaults are the seed's minutes)");
    }
}

static void ConfigureLogging(ILoggingBuilder logging, bool live)
{
    logging.ClearProviders();
    if (!live)
    {
        // Redirected output: the library's warnings (failed attempts, dead letters) as single lines on stderr.
        logging.AddSimpleConsole(o =>
        {
            o.SingleLine = true;
            o.TimestampFormat = "HH:mm:ss ";
        });
        logging.Services.Configure<ConsoleLoggerOptions>(o => o.LogToStandardErrorThreshold = LogLevel.Trace);
    }
}

/// <summary>Carries the fake platform's address, known only once it has started, to the dispatcher's options.</summary>
internal sealed class FakeEndpointHolder
{
    public Uri? Endpoint { get; set; }
}
