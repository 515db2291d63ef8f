using OrderOutbox.Storage;

namespace OrderOutbox.Sqlite;

/// <summary>
/// Options of the SQLite store, set in <c>UseSqlite(connectionString, o =&gt; …)</c> or bound from configuration
/// with <c>UseSqlite(configuration.GetSection("OrderOutbox:Sqlite"))</c>. Validated when the host starts.
/// </summary>
/// <remarks>
/// SQLite has no schemas: <see cref="OutboxStoreOptions.Schema"/> must stay <see langword="null"/>.
/// </remarks>
public sealed class SqliteOutboxOptions : OutboxStoreOptions
{
    /// <summary>The default <see cref="CommandTimeout"/>: 30 seconds.</summary>
    public static readonly TimeSpan DefaultCommandTimeout = TimeSpan.FromSeconds(30);

    /// <summary>The smallest allowed <see cref="CommandTimeout"/>: 1 second.</summary>
    public static readonly TimeSpan MinCommandTimeout = TimeSpan.FromSeconds(1);

    /// <summary>The largest allowed <see cref="CommandTimeout"/>: 1 hour.</summary>
    public static readonly TimeSpan MaxCommandTimeout = TimeSpan.FromHours(1);

    /// <summary>
    /// The Microsoft.Data.Sqlite connection string of the database that holds the outbox table, for example
    /// <c>Data Source=app.db</c>. Required.
    /// </summary>
    /// <value>Default <see langword="null"/>.</value>
    public string? ConnectionString { get; set; }

    /// <summary>
    /// How long a store command may run, including the time it waits while another connection holds the
    /// database's write lock (SQLite allows one writer at a time): the store sets both the connection's
    /// <c>Default Timeout</c> and <c>PRAGMA busy_timeout</c> from it, so concurrent writers wait instead of
    /// failing with <c>SQLITE_BUSY</c>.
    /// </summary>
    /// <value>Default 30 seconds; allowed 1 second to 1 hour.</value>
    public TimeSpan CommandTimeout { get; set; } = DefaultCommandTimeout;
}
