using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace OrderOutbox.Storage;

/// <summary>
/// Runs a store's <see cref="IOutboxStore.EnsureSchemaAsync"/> while the host is starting, when
/// <see cref="OutboxStoreOptions.EnsureSchemaOnStartup"/> is set. It works in
/// <see cref="IHostedLifecycleService.StartingAsync"/>, which the host runs for every hosted service before any
/// <see cref="IHostedService.StartAsync"/>, so the table exists before the dispatcher's first claim. A failure stops
/// the host start with the database's error. Store packages register it from their <c>Use…</c> method.
/// </summary>
/// <typeparam name="TStore">The store.</typeparam>
/// <typeparam name="TOptions">The store's options.</typeparam>
public sealed partial class OutboxSchemaInitializer<TStore, TOptions> : IHostedLifecycleService
    where TStore : IOutboxStore
    where TOptions : OutboxStoreOptions
{
    private readonly TStore _store;
    private readonly IOptions<TOptions> _options;
    private readonly ILogger _logger;

    /// <summary>Creates the initializer.</summary>
    /// <param name="store">The store whose schema is ensured.</param>
    /// <param name="options">The store's options.</param>
    /// <param name="logger">The logger, or <see langword="null"/> for none.</param>
    public OutboxSchemaInitializer(TStore store, IOptions<TOptions> options, ILogger<OutboxSchemaInitializer<TStore, TOptions>>? logger = null)
    {
        _store = store ?? throw new ArgumentNullException(nameof(store));
        _options = options ?? throw new ArgumentNullException(nameof(options));
        _logger = (ILogger?)logger ?? NullLogger.Instance;
    }

    /// <inheritdoc />
    public async Task StartingAsync(CancellationToken cancellationToken)
    {
        TOptions value = _options.Value;
        if (!value.EnsureSchemaOnStartup)
        {
            return;
        }

        await _store.EnsureSchemaAsync(cancellationToken).ConfigureAwait(false);
        LogSchemaEnsured(_logger, typeof(TStore).Name, value.Schema ?? "(default)", value.TableName);
    }

    /// <inheritdoc />
    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    /// <inheritdoc />
    public Task StartedAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    /// <inheritdoc />
    public Task StoppingAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    /// <inheritdoc />
    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    /// <inheritdoc />
    public Task StoppedAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    [LoggerMessage(EventId = 2001, EventName = "OutboxSchemaEnsured", Level = LogLevel.Information,
        Message = "Outbox schema ensured by {Store}: table {Schema}.{Table} and its indexes exist")]
    private static partial void LogSchemaEnsured(ILogger logger, string store, string schema, string table);
}
