using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using OrderOutbox.Storage;

namespace OrderOutbox.Tests.EndToEnd;

/// <summary>
/// A real Generic Host (<see cref="Host.CreateApplicationBuilder(HostApplicationBuilderSettings)"/>) wired the way an
/// application wires OrderOutbox — <c>AddOrderOutbox(…).Use…(connectionString, …).UseHttpDispatcher(…)</c> — with an
/// <see cref="IDeadLetterHandler"/> in DI, delivering to a real loopback <see cref="EndToEndReceiver"/>.
/// </summary>
internal sealed class EndToEndHost : IAsyncDisposable
{
    private readonly IHost _host;
    private readonly bool _ownsReceiver;

    private EndToEndHost(IHost host, EndToEndReceiver receiver, EndToEndLogs logs, RecordingDeadLetterHandler deadLetters, bool ownsReceiver)
    {
        _host = host;
        _ownsReceiver = ownsReceiver;
        Receiver = receiver;
        Logs = logs;
        DeadLetters = deadLetters;
    }

    public IServiceProvider Services => _host.Services;

    public EndToEndReceiver Receiver { get; }

    public EndToEndLogs Logs { get; }

    public RecordingDeadLetterHandler DeadLetters { get; }

    /// <summary>The application's writer, resolved from the host.</summary>
    public IOutboxWriter Writer => _host.Services.GetRequiredService<IOutboxWriter>();

    /// <summary>The store's admin API, resolved from the host.</summary>
    public IOutboxAdmin Admin => _host.Services.GetRequiredService<IOutboxAdmin>();

    /// <summary>Builds and starts the host (the store's schema is created during start, before the dispatcher runs).</summary>
    /// <param name="fixture">The store under test.</param>
    /// <param name="outboxTable">This test's outbox table.</param>
    /// <param name="configureOutbox">Engine options after the suite's defaults (batches of 10, 4 calls at a time).</param>
    /// <param name="configureStore">Store options after the fixture's defaults, or <see langword="null"/>.</param>
    /// <param name="cancellationToken">Cancels the start.</param>
    /// <param name="sharedReceiver">A receiver several hosts deliver to (not disposed with this host), or <see langword="null"/> for one of its own.</param>
    public static async Task<EndToEndHost> StartAsync(
        IEndToEndStoreFixture fixture,
        string outboxTable,
        Action<OutboxOptions> configureOutbox,
        Action<OutboxStoreOptions>? configureStore,
        CancellationToken cancellationToken,
        EndToEndReceiver? sharedReceiver = null)
    {
        var logs = new EndToEndLogs();
        var deadLetters = new RecordingDeadLetterHandler();
        HostApplicationBuilder builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings
        {
            DisableDefaults = true, // no appsettings/environment variables/console logging leak into the test
            EnvironmentName = Environments.Development,
            ApplicationName = "OrderOutbox.EndToEnd",
            ContentRootPath = AppContext.BaseDirectory,
        });
        builder.ConfigureContainer(new DefaultServiceProviderFactory(new ServiceProviderOptions { ValidateOnBuild = true, ValidateScopes = true }));
        builder.Logging.ClearProviders().SetMinimumLevel(LogLevel.Debug).AddProvider(logs);
        builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = TimeSpan.FromSeconds(15));
        builder.Services.AddSingleton<IDeadLetterHandler>(deadLetters);

        EndToEndReceiver? receiver = null;
        OrderOutboxBuilder outbox = builder.Services.AddOrderOutbox(o =>
        {
            o.BatchSize = 10;
            o.MaxConcurrency = 4;
            o.InstanceId = "e2e-" + fixture.ProviderName;
            configureOutbox(o);
        });
        fixture.UseStore(outbox, outboxTable, configureStore); // skips the test here when the store is not configured
        outbox.UseHttpDispatcher(h => h.Endpoint = receiver!.Endpoint);

        receiver = sharedReceiver ?? await EndToEndReceiver.StartAsync();
        IHost? host = null;
        try
        {
            host = builder.Build();
            await host.StartAsync(cancellationToken);
            return new EndToEndHost(host, receiver, logs, deadLetters, ownsReceiver: sharedReceiver is null);
        }
        catch
        {
            if (host is not null)
            {
                await DisposeHostAsync(host);
            }

            if (sharedReceiver is null)
            {
                await receiver.DisposeAsync();
            }

            throw;
        }
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            using var stopTimeout = new CancellationTokenSource(TimeSpan.FromSeconds(20));
            await _host.StopAsync(stopTimeout.Token);
        }
        finally
        {
            await DisposeHostAsync(_host);
            if (_ownsReceiver)
            {
                await Receiver.DisposeAsync();
            }
        }
    }

    private static async ValueTask DisposeHostAsync(IHost host)
    {
        if (host is IAsyncDisposable asyncDisposable)
        {
            await asyncDisposable.DisposeAsync();
        }
        else
        {
            host.Dispose();
        }
    }
}
