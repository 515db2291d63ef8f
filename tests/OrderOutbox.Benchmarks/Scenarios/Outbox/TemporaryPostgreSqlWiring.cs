using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Npgsql;
using OrderOutbox.PostgreSql;

namespace OrderOutbox.Benchmarks.Scenarios;

/// <summary>
/// TEMPORARY stand-in for <c>UsePostgreSql</c> until the PostgreSQL package's DI extension and LISTEN/NOTIFY wake-up
/// are merged: registers the public <see cref="PostgreSqlOutboxStore"/> directly, without the wake-up listener.
/// </summary>
internal static class TemporaryPostgreSqlWiring
{
    public static OrderOutboxBuilder UsePostgreSqlStoreDirectly(this OrderOutboxBuilder builder, string connectionString, Action<PostgreSqlOutboxOptions> configure)
    {
        var options = new PostgreSqlOutboxOptions();
        configure(options);
        builder.Services.AddSingleton(_ => NpgsqlDataSource.Create(connectionString));
        builder.Services.AddSingleton(sp => new PostgreSqlOutboxStore(sp.GetRequiredService<NpgsqlDataSource>(), options, sp.GetRequiredService<TimeProvider>()));
        builder.Services.AddSingleton<IOutboxStore>(sp => sp.GetRequiredService<PostgreSqlOutboxStore>());
        builder.Services.AddSingleton<IOutboxAdmin>(sp => sp.GetRequiredService<PostgreSqlOutboxStore>());
        if (options.EnsureSchemaOnStartup)
        {
            // Inserted first so the schema exists before the dispatcher's first cycle.
            builder.Services.Insert(0, ServiceDescriptor.Singleton<IHostedService>(sp => new SchemaAtStart(sp.GetRequiredService<PostgreSqlOutboxStore>())));
        }

        return builder;
    }

    private sealed class SchemaAtStart(PostgreSqlOutboxStore store) : IHostedService
    {
        public Task StartAsync(CancellationToken cancellationToken) => store.EnsureSchemaAsync(cancellationToken);

        public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    }
}
