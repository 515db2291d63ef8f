using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace OrderOutbox.PostgreSql;

/// <summary>
/// Runs <see cref="PostgreSqlOutboxStore.EnsureSchemaAsync"/> while the host is starting (before any hosted service's
/// <c>StartAsync</c>, so the dispatcher never polls a missing table) when <c>EnsureSchemaOnStartup</c> is set.
/// A failure stops the host start with the database's error.
/// </summary>
internal sealed partial class PostgreSqlSchemaInitializer : IHostedLifecycleService
{
    private readonly PostgreSqlOutboxStore _store;
    private readonly IOptions<PostgreSqlOutboxOptions> _options;
    private readonly ILogger<PostgreSqlSchemaInitializer> _logger;

    public PostgreSqlSchemaInitializer(PostgreSqlOutboxStore store, IOptions<PostgreSqlOutboxOptions> options, ILogger<PostgreSqlSchemaInitializer> logger)
    {
        _store = store;
        _options = options;
        _logger = logger;
    }

    public async Task StartingAsync(CancellationToken cancellationToken)
    {
        PostgreSqlOutboxOptions value = _options.Value;
        if (!value.EnsureSchemaOnStartup)
        {
            return;
        }

        await _store.EnsureSchemaAsync(cancellationToken).ConfigureAwait(false);
        LogSchemaEnsured(value.Schema ?? PostgreSqlOutboxOptions.DefaultSchema, value.TableName);
    }

    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StartedAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StoppingAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StoppedAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
