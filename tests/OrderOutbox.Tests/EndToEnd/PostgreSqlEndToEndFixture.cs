using System.Data.Common;
using Microsoft.Extensions.DependencyInjection;
using OrderOutbox.PostgreSql;
using OrderOutbox.Storage;
using OrderOutbox.Tests.PostgreSql;

namespace OrderOutbox.Tests.EndToEnd;

/// <summary>
/// PostgreSQL for the end-to-end suite: a fresh schema per test class, dropped at the end (through
/// <see cref="PostgreSqlOutboxStoreFixture"/>). The connection string comes from <c>ORDEROUTBOX_TEST_POSTGRES</c>; without
/// it the tests FAIL when <c>CI=true</c> and are skipped otherwise. Each host gets its own <c>LISTEN</c>/<c>NOTIFY</c>
/// channel, so hosts of parallel tests never wake each other.
/// </summary>
public sealed class PostgreSqlEndToEndFixture : IEndToEndStoreFixture
{
    private readonly PostgreSqlOutboxStoreFixture _database = new();

    public string ProviderName => "PostgreSql";

    public ValueTask InitializeAsync() => _database.InitializeAsync(); // throws when CI=true and the variable is missing

    public ValueTask DisposeAsync() => _database.DisposeAsync();

    public Task<DbConnection> OpenConnectionAsync(CancellationToken cancellationToken = default)
        => _database.OpenConnectionAsync(cancellationToken); // skips when not configured

    public string QualifyTable(string tableName) => $"\"{_database.Schema}\".\"{tableName}\"";

    public void UseStore(OrderOutboxBuilder builder, string tableName, Action<OutboxStoreOptions>? configure = null)
    {
        string connectionString = _database.ConnectionString; // skips when not configured
        string channel = "oo_e2e_" + Guid.NewGuid().ToString("N")[..12];
        builder.UsePostgreSql(connectionString, s =>
        {
            s.Schema = _database.Schema;
            s.TableName = tableName;
            s.EnsureSchemaOnStartup = true;
            s.NotificationChannel = channel;
            configure?.Invoke(s);
        });
    }
}
