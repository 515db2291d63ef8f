using System.Data.Common;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Options;
using OrderOutbox;
using OrderOutbox.SqlServer;
using OrderOutbox.Storage;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Chooses SQL Server as the outbox store: <c>services.AddOrderOutbox().UseSqlServer(connectionString)</c>.</summary>
public static class SqlServerOrderOutboxBuilderExtensions
{
    /// <summary>
    /// Stores the outbox in the SQL Server database of <paramref name="connectionString"/>. Registers
    /// <see cref="SqlServerOutboxStore"/> as <see cref="IOutboxStore"/> and <see cref="IOutboxAdmin"/> (unless already
    /// registered), validates <see cref="SqlServerOutboxOptions"/> at start-up and, when
    /// <see cref="OrderOutbox.Storage.OutboxStoreOptions.EnsureSchemaOnStartup"/> is set, creates the table before the dispatcher starts.
    /// </summary>
    /// <param name="builder">The builder returned by <c>AddOrderOutbox</c>.</param>
    /// <param name="connectionString">A Microsoft.Data.SqlClient connection string.</param>
    /// <param name="configure">Configures the other options, or <see langword="null"/> for the defaults.</param>
    /// <returns>The builder.</returns>
    public static OrderOutboxBuilder UseSqlServer(this OrderOutboxBuilder builder, string connectionString, Action<SqlServerOutboxOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentException.ThrowIfNullOrWhiteSpace(connectionString);
        return AddCore(builder, OutboxStoreRegistration.Configure(builder, connectionString, configure), dataSource: null);
    }

    /// <summary>
    /// Stores the outbox in SQL Server, opening connections from <paramref name="dataSource"/>
    /// (for example <c>SqlClientFactory.Instance.CreateDataSource(connectionString)</c>).
    /// </summary>
    /// <param name="builder">The builder returned by <c>AddOrderOutbox</c>.</param>
    /// <param name="dataSource">A data source of Microsoft.Data.SqlClient connections; the caller owns it.</param>
    /// <param name="configure">Configures the other options, or <see langword="null"/> for the defaults.</param>
    /// <returns>The builder.</returns>
    public static OrderOutboxBuilder UseSqlServer(this OrderOutboxBuilder builder, DbDataSource dataSource, Action<SqlServerOutboxOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(dataSource);
        return AddCore(builder, OutboxStoreRegistration.Configure(builder, connectionString: null, configure), dataSource);
    }

    /// <summary>
    /// Stores the outbox in SQL Server with <see cref="SqlServerOutboxOptions"/> bound from <paramref name="configuration"/>
    /// (for example the <c>OrderOutbox:SqlServer</c> section, with at least <c>ConnectionString</c>).
    /// </summary>
    /// <param name="builder">The builder returned by <c>AddOrderOutbox</c>.</param>
    /// <param name="configuration">The configuration section to bind.</param>
    /// <returns>The builder.</returns>
    public static OrderOutboxBuilder UseSqlServer(this OrderOutboxBuilder builder, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(builder);
        return AddCore(builder, OutboxStoreRegistration.Bind<SqlServerOutboxOptions>(builder, configuration), dataSource: null);
    }

    private static OrderOutboxBuilder AddCore(OrderOutboxBuilder builder, OptionsBuilder<SqlServerOutboxOptions> options, DbDataSource? dataSource)
        => OutboxStoreRegistration.AddStore(
            builder,
            options,
            new SqlServerOutboxOptionsValidator(requireConnectionString: dataSource is null),
            (_, value, timeProvider) => dataSource is null
                ? new SqlServerOutboxStore(value, timeProvider)
                : new SqlServerOutboxStore(dataSource, value, timeProvider));
}
