using System.Data.Common;
using Microsoft.Extensions.DependencyInjection;
using OrderOutbox.Storage;
using OrderOutbox.Tests.Sqlite;

namespace OrderOutbox.Tests.EndToEnd;

/// <summary>
/// SQLite for the end-to-end suite: a fresh temporary database file per test class (<see cref="SqliteTestDatabase"/>),
/// deleted with its WAL files at the end. SQLite is embedded, so these tests always run.
/// </summary>
public sealed class SqliteEndToEndFixture : IEndToEndStoreFixture
{
    private readonly SqliteTestDatabase _database = new();

    public string ProviderName => "Sqlite";

    public ValueTask InitializeAsync() => _database.InitializeAsync();

    public ValueTask DisposeAsync() => _database.DisposeAsync();

    public async Task<DbConnection> OpenConnectionAsync(CancellationToken cancellationToken = default)
        => await _database.OpenAsync(cancellationToken); // with PRAGMA busy_timeout, as the store's README recommends

    public string QualifyTable(string tableName) => $"\"{tableName}\"";

    public void UseStore(OrderOutboxBuilder builder, string tableName, Action<OutboxStoreOptions>? configure = null)
        => builder.UseSqlite(_database.ConnectionString, s =>
        {
            s.TableName = tableName;
            s.EnsureSchemaOnStartup = true;
            configure?.Invoke(s);
        });
}
