using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace OrderOutbox.Sqlite;

/// <summary>
/// Runs <see cref="SqliteOutboxStore.EnsureSchemaAsync"/> when the host starts, if
/// <see cref="Storage.OutboxStoreOptions.EnsureSchemaOnStartup"/> is set. It works in
/// <see cref="IHostedLifecycleService.StartingAsync"/>, which the host runs for every hosted service before any
/// <see cref="IHostedService.StartAsync"/>, so the table exists before the dispatcher's first claim.
/// </summary>
internal sealed partial class SqliteSchemaInitializer(
    SqliteOutboxStore store,
    IOptions<SqliteOutboxOptions> options,
    ILogger<SqliteSchemaInitializer> logger) : IHostedLifecycleService
{
    public async Task StartingAsync(CancellationToken cancellationToken)
    {
        var value = options.Value;
        if (!value.EnsureSchemaOnStartup)
        {
            return;
        }

        await store.EnsureSchemaAsync(cancellationToken).ConfigureAwait(false);
        LogSchemaEnsured(logger, value.TableName);
    }

    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StartedAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StoppingAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StoppedAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
