using System.Data.Common;
using Microsoft.Data.Sqlite;
using OrderOutbox.Sqlite;
using OrderOutbox.Storage;
using OrderOutbox.Tests.Conformance;

namespace OrderOutbox.Tests.Sqlite;

/// <summary>
/// A fresh temporary SQLite database file per test class, deleted (with its WAL files) at the end; every store gets its
/// own table in it. SQLite is embedded, so these tests always run (they never skip, in CI or not).
/// </summary>
public sealed class SqliteOutboxStoreFixture : IOutboxStoreFixture
{
    private readonly SqliteTestDatabase _database = new();

    public string ProviderName => "Sqlite";

    /// <summary>The connection string of this fixture's database file.</summary>
    public string ConnectionString => _database.ConnectionString;

    public ValueTask InitializeAsync() => _database.InitializeAsync();

    public ValueTask DisposeAsync() => _database.DisposeAsync();

    public async Task<ConformanceStore> CreateStoreAsync(TimeProvider? timeProvider = null, CancellationToken cancellationToken = default)
    {
        ConformanceStore store = CreateStore(null, timeProvider);
        await store.Store.EnsureSchemaAsync(cancellationToken);
        return store;
    }

    public ConformanceStore CreateStore(Action<OutboxStoreOptions>? configure = null, TimeProvider? timeProvider = null)
    {
        var options = new SqliteOutboxOptions
        {
            ConnectionString = _database.ConnectionString,
            TableName = SqliteTestDatabase.NewTableName(),
        };
        configure?.Invoke(options);
        var store = new SqliteOutboxStore(options, timeProvider);
        return new ConformanceStore(store, store, options.TableName);
    }

    public Task CreateVersion01TableAsync(string tableName, CancellationToken cancellationToken = default)
        => _database.ExecuteScalarAsync(LegacySchemaScripts.Read("outbox.sqlite.v0.1.sql").Replace("$(OutboxTable)", tableName, StringComparison.Ordinal), cancellationToken);

    public async Task<DbConnection> OpenConnectionAsync(CancellationToken cancellationToken = default)
        => await _database.OpenAsync(cancellationToken);

    public Task<object?> ExecuteScalarAsync(string sql, CancellationToken cancellationToken = default)
        => _database.ExecuteScalarAsync(sql, cancellationToken);
}
