using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using Npgsql;
using OrderOutbox;
using OrderOutbox.Hosting;
using OrderOutbox.PostgreSql;
using OrderOutbox.Storage;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Stores the outbox in PostgreSQL: <c>services.AddOrderOutbox().UsePostgreSql(connectionString)</c>.</summary>
public static class PostgreSqlOrderOutboxBuilderExtensions
{
    /// <summary>
    /// Uses the PostgreSQL store with a data source built from <paramref name="connectionString"/> (owned and disposed
    /// by the container). Registers <see cref="IOutboxStore"/> and <see cref="IOutboxAdmin"/>, validates the options at
    /// start, creates the schema at start when <c>EnsureSchemaOnStartup</c> is set, and listens for commit
    /// notifications when <see cref="PostgreSqlOutboxOptions.UseNotifications"/> is set.
    /// </summary>
    /// <param name="builder">The outbox builder.</param>
    /// <param name="connectionString">The Npgsql connection string.</param>
    /// <param name="configure">Configures <see cref="PostgreSqlOutboxOptions"/>, or <see langword="null"/> for the defaults.</param>
    /// <returns>The builder.</returns>
    public static OrderOutboxBuilder UsePostgreSql(this OrderOutboxBuilder builder, string connectionString, Action<PostgreSqlOutboxOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentException.ThrowIfNullOrWhiteSpace(connectionString);
        return AddCore(builder, OutboxStoreRegistration.Configure(builder, connectionString, configure), dataSource: null);
    }

    /// <summary>
    /// Uses the PostgreSQL store over the application's <paramref name="dataSource"/> (not disposed by the outbox);
    /// <see cref="OutboxStoreOptions.ConnectionString"/> is ignored.
    /// </summary>
    /// <param name="builder">The outbox builder.</param>
    /// <param name="dataSource">The data source the store opens its connections from.</param>
    /// <param name="configure">Configures <see cref="PostgreSqlOutboxOptions"/>, or <see langword="null"/> for the defaults.</param>
    /// <returns>The builder.</returns>
    public static OrderOutboxBuilder UsePostgreSql(this OrderOutboxBuilder builder, NpgsqlDataSource dataSource, Action<PostgreSqlOutboxOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(dataSource);
        return AddCore(builder, OutboxStoreRegistration.Configure(builder, connectionString: null, configure), dataSource);
    }

    /// <summary>
    /// Uses the PostgreSQL store with <see cref="PostgreSqlOutboxOptions"/> bound from <paramref name="configuration"/>
    /// (for example the <c>OrderOutbox:PostgreSql</c> section), including <c>ConnectionString</c>.
    /// </summary>
    /// <param name="builder">The outbox builder.</param>
    /// <param name="configuration">The configuration section.</param>
    /// <returns>The builder.</returns>
    public static OrderOutboxBuilder UsePostgreSql(this OrderOutboxBuilder builder, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(builder);
        return AddCore(builder, OutboxStoreRegistration.Bind<PostgreSqlOutboxOptions>(builder, configuration), dataSource: null);
    }

    private static OrderOutboxBuilder AddCore(OrderOutboxBuilder builder, OptionsBuilder<PostgreSqlOutboxOptions> options, NpgsqlDataSource? dataSource)
    {
        IServiceCollection services = builder.Services;
        services.TryAddSingleton<OutboxWakeUp>();
        if (dataSource is not null)
        {
            services.TryAddSingleton(new PostgreSqlOutboxDataSource(dataSource, owned: false));
        }
        else
        {
            services.TryAddSingleton(sp => new PostgreSqlOutboxDataSource(
                NpgsqlDataSource.Create(PostgreSqlOutboxDataSource.WithOwnedDefaults(sp.GetRequiredService<IOptions<PostgreSqlOutboxOptions>>().Value.ConnectionString!)),
                owned: true));
        }

        services.TryAddEnumerable(ServiceDescriptor.Singleton<IHostedService, PostgreSqlWakeUpListener>());
        return OutboxStoreRegistration.AddStore(
            builder,
            options,
            new PostgreSqlOutboxOptionsValidator(requireConnectionString: dataSource is null),
            static (sp, value, timeProvider) => new PostgreSqlOutboxStore(sp.GetRequiredService<PostgreSqlOutboxDataSource>().DataSource, value, timeProvider));
    }
}
