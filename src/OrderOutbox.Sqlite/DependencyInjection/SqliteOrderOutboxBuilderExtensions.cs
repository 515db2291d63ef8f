using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Options;
using OrderOutbox;
using OrderOutbox.Sqlite;
using OrderOutbox.Storage;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Chooses SQLite as the outbox store: <c>services.AddOrderOutbox().UseSqlite("Data Source=app.db")</c>.</summary>
public static class SqliteOrderOutboxBuilderExtensions
{
    /// <summary>
    /// Stores the outbox in the SQLite database of <paramref name="connectionString"/>. Registers
    /// <see cref="SqliteOutboxStore"/> as <see cref="IOutboxStore"/> and <see cref="IOutboxAdmin"/> (unless already
    /// registered), validates <see cref="SqliteOutboxOptions"/> at start-up and, when
    /// <see cref="OrderOutbox.Storage.OutboxStoreOptions.EnsureSchemaOnStartup"/> is set, creates the table before the dispatcher starts.
    /// </summary>
    /// <param name="builder">The builder returned by <c>AddOrderOutbox</c>.</param>
    /// <param name="connectionString">A Microsoft.Data.Sqlite connection string, for example <c>Data Source=app.db</c>.</param>
    /// <param name="configure">Configures the other options, or <see langword="null"/> for the defaults.</param>
    /// <returns>The builder.</returns>
    public static OrderOutboxBuilder UseSqlite(this OrderOutboxBuilder builder, string connectionString, Action<SqliteOutboxOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentException.ThrowIfNullOrWhiteSpace(connectionString);
        return AddCore(builder, OutboxStoreRegistration.Configure(builder, connectionString, configure));
    }

    /// <summary>
    /// Stores the outbox in SQLite with <see cref="SqliteOutboxOptions"/> bound from <paramref name="configuration"/>
    /// (for example the <c>OrderOutbox:Sqlite</c> section, with at least <c>ConnectionString</c>).
    /// </summary>
    /// <param name="builder">The builder returned by <c>AddOrderOutbox</c>.</param>
    /// <param name="configuration">The configuration section to bind.</param>
    /// <returns>The builder.</returns>
    public static OrderOutboxBuilder UseSqlite(this OrderOutboxBuilder builder, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(builder);
        return AddCore(builder, OutboxStoreRegistration.Bind<SqliteOutboxOptions>(builder, configuration));
    }

    private static OrderOutboxBuilder AddCore(OrderOutboxBuilder builder, OptionsBuilder<SqliteOutboxOptions> options)
        => OutboxStoreRegistration.AddStore(
            builder,
            options,
            new SqliteOutboxOptionsValidator(),
            static (_, value, timeProvider) => new SqliteOutboxStore(value, timeProvider));
}
