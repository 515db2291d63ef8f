using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using OrderOutbox.Sqlite;

namespace OrderOutbox.EntityFrameworkCore.Tests.Support;

/// <summary>A fresh temporary SQLite file per test class, deleted with its WAL files at the end.</summary>
public sealed class SqliteEfFixture : IEfStoreFixture
{
    private readonly string _path = Path.Combine(Path.GetTempPath(), "orderoutbox-tests", $"ef-{Guid.NewGuid():N}.db");

    public SqliteEfFixture() => ConnectionString = new SqliteConnectionStringBuilder { DataSource = _path, DefaultTimeout = 30 }.ToString();

    public string ConnectionString { get; }

    public string? Schema => null;

    public TimeSpan PollingInterval => TimeSpan.FromMilliseconds(100);

    public void UseProvider(DbContextOptionsBuilder builder) => builder.UseSqlite(ConnectionString);

    public OutboxStoreHandle CreateStore(string table, TimeProvider timeProvider)
    {
        var store = new SqliteOutboxStore(new SqliteOutboxOptions { ConnectionString = ConnectionString, TableName = table }, timeProvider);
        return new OutboxStoreHandle(store, store);
    }

    public void UseStore(OrderOutboxBuilder builder, string table)
        => builder.UseSqlite(ConnectionString, s =>
        {
            s.TableName = table;
            s.EnsureSchemaOnStartup = true;
        });

    public ValueTask InitializeAsync()
    {
        Directory.CreateDirectory(Path.GetDirectoryName(_path)!);
        return ValueTask.CompletedTask;
    }

    public ValueTask DisposeAsync()
    {
        SqliteConnection.ClearAllPools();
        foreach (string path in new[] { _path, _path + "-wal", _path + "-shm" })
        {
            File.Delete(path);
        }

        return ValueTask.CompletedTask;
    }
}
