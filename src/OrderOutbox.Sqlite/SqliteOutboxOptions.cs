using OrderOutbox.Storage;

namespace OrderOutbox.Sqlite;

/// <summary>
/// Options of the SQLite store, set in <c>UseSqlite(connectionString, o =&gt; …)</c> or bound from configuration
/// with <c>UseSqlite(configuration.GetSection("OrderOutbox:Sqlite"))</c>. Validated when the host starts.
/// </summary>
/// <remarks>
/// SQLite has no schemas: <see cref="OutboxStoreOptions.Schema"/> must stay <see langword="null"/>.
/// <see cref="OutboxStoreOptions.CommandTimeout"/> also bounds the wait while another connection holds the database's
/// write lock (SQLite allows one writer at a time): the store sets both the connection's <c>Default Timeout</c> and
/// <c>PRAGMA busy_timeout</c> from it, so concurrent writers wait instead of failing with <c>SQLITE_BUSY</c>.
/// </remarks>
public sealed class SqliteOutboxOptions : OutboxStoreOptions
{
    /// <summary>The timeout used when <see cref="OutboxStoreOptions.CommandTimeout"/> is <see langword="null"/>: 30 seconds.</summary>
    public static readonly TimeSpan DefaultCommandTimeout = TimeSpan.FromSeconds(30);
}
