using System.Data.Common;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;

namespace OrderOutbox.Operations.Tests.Support;

/// <summary>A real database for one test class: where the outbox table lives and how the CLI and a host reach it.</summary>
public interface ITestDatabase : IAsyncLifetime
{
    /// <summary>The CLI's <c>--store</c> value.</summary>
    string StoreName { get; }

    /// <summary>The connection string (skips the test when the database is not configured).</summary>
    string ConnectionString { get; }

    /// <summary>The schema the CLI must be given with <c>--schema</c>, or <see langword="null"/>.</summary>
    string? Schema { get; }

    /// <summary>Chooses this database as the host's outbox store, with the table <paramref name="table"/> created at start.</summary>
    void UseStore(OrderOutboxBuilder builder, string table);

    /// <summary>Builds a store over <paramref name="table"/> without a host (to seed and inspect records).</summary>
    (IOutboxStore Store, IOutboxAdmin Admin) CreateStore(string table, TimeProvider? time = null);

    /// <summary>Opens a connection for an application transaction.</summary>
    Task<DbConnection> OpenConnectionAsync();

    /// <summary>Runs a statement with <c>{table}</c> replaced by the qualified table name.</summary>
    Task<int> ExecuteAsync(string table, string sql);
}

/// <summary>A fresh SQLite file per test class, deleted afterwards.</summary>
public sealed class SqliteTestDatabase : ITestDatabase
{
    private readonly string _path = Path.Combine(Path.GetTempPath(), "orderoutbox-ops-tests", $"ops-{Guid.NewGuid():N}.db");

    public string StoreName => "sqlite";

    public string ConnectionString => $"Data Source={_path}";

    public string? Schema => null;

    public ValueTask InitializeAsync()
    {
        Directory.CreateDirectory(Path.GetDirectoryName(_path)!);
        return ValueTask.CompletedTask;
    }

    public ValueTask DisposeAsync()
    {
        SqliteConnection.ClearAllPools();
        foreach (string file in new[] { _path, _path + "-wal", _path + "-shm" })
        {
            try
            {
                File.Delete(file);
            }
            catch (IOException)
            {
                // best effort
            }
        }

        return ValueTask.CompletedTask;
    }

    public void UseStore(OrderOutboxBuilder builder, string table)
        => builder.UseSqlite(ConnectionString, o => { o.TableName = table; o.EnsureSchemaOnStartup = true; });

    public (IOutboxStore Store, IOutboxAdmin Admin) CreateStore(string table, TimeProvider? time = null)
    {
        var store = new OrderOutbox.Sqlite.SqliteOutboxStore(new OrderOutbox.Sqlite.SqliteOutboxOptions { ConnectionString = ConnectionString, TableName = table }, time);
        return (store, store);
    }

    public async Task<DbConnection> OpenConnectionAsync()
    {
        var connection = new SqliteConnection(ConnectionString);
        await connection.OpenAsync();
        await using SqliteCommand pragma = connection.CreateCommand();
        pragma.CommandText = "PRAGMA busy_timeout = 30000";
        await pragma.ExecuteNonQueryAsync();
        return connection;
    }

    public async Task<int> ExecuteAsync(string table, string sql)
    {
        await using DbConnection connection = await OpenConnectionAsync();
        await using DbCommand command = connection.CreateCommand();
        command.CommandText = sql.Replace("{table}", $"\"{table}\"", StringComparison.Ordinal);
        return await command.ExecuteNonQueryAsync();
    }
}

/// <summary>
/// A fresh PostgreSQL schema per test class, dropped afterwards. The connection string comes from
/// <c>ORDEROUTBOX_TEST_POSTGRES</c>; without it the tests FAIL when <c>CI=true</c> and are skipped otherwise.
/// </summary>
public sealed class PostgreSqlTestDatabase : ITestDatabase
{
    public const string EnvironmentVariable = "ORDEROUTBOX_TEST_POSTGRES";

    private NpgsqlDataSource? _dataSource;
    private string? _connectionString;

    public string StoreName => "postgresql";

    public string? Schema { get; } = "oo_ops_" + Guid.NewGuid().ToString("N")[..16];

    public string ConnectionString
    {
        get
        {
            Assert.SkipWhen(_connectionString is null, $"PostgreSQL tests need {EnvironmentVariable}; it is not set.");
            return _connectionString!;
        }
    }

    private NpgsqlDataSource DataSource
    {
        get
        {
            _ = ConnectionString;
            return _dataSource!;
        }
    }

    public async ValueTask InitializeAsync()
    {
        string? connectionString = Environment.GetEnvironmentVariable(EnvironmentVariable);
        if (string.IsNullOrWhiteSpace(connectionString))
        {
            if (Ci.IsOn)
            {
                throw new InvalidOperationException($"CI=true but {EnvironmentVariable} is not set: the PostgreSQL tests must run in CI.");
            }

            return;
        }

        _connectionString = connectionString;
        _dataSource = NpgsqlDataSource.Create(connectionString);
        await using NpgsqlCommand command = _dataSource.CreateCommand($"CREATE SCHEMA \"{Schema}\"");
        await command.ExecuteNonQueryAsync();
    }

    public async ValueTask DisposeAsync()
    {
        if (_dataSource is null)
        {
            return;
        }

        await using (NpgsqlCommand command = _dataSource.CreateCommand($"DROP SCHEMA IF EXISTS \"{Schema}\" CASCADE"))
        {
            await command.ExecuteNonQueryAsync();
        }

        await _dataSource.DisposeAsync();
    }

    public void UseStore(OrderOutboxBuilder builder, string table)
        => builder.UsePostgreSql(ConnectionString, o =>
        {
            o.Schema = Schema;
            o.TableName = table;
            o.EnsureSchemaOnStartup = true;
            o.NotificationChannel = "oo_ops_" + Guid.NewGuid().ToString("N")[..12];
        });

    public (IOutboxStore Store, IOutboxAdmin Admin) CreateStore(string table, TimeProvider? time = null)
    {
        var store = new OrderOutbox.PostgreSql.PostgreSqlOutboxStore(DataSource, new OrderOutbox.PostgreSql.PostgreSqlOutboxOptions { Schema = Schema, TableName = table, UseNotifications = false }, time);
        return (store, store);
    }

    public async Task<DbConnection> OpenConnectionAsync() => await DataSource.OpenConnectionAsync();

    public async Task<int> ExecuteAsync(string table, string sql)
    {
        await using NpgsqlCommand command = DataSource.CreateCommand(sql.Replace("{table}", $"\"{Schema}\".\"{table}\"", StringComparison.Ordinal));
        return await command.ExecuteNonQueryAsync();
    }
}

/// <summary>Whether the tests run in CI (<c>CI=true</c>): there, missing prerequisites fail instead of skipping.</summary>
internal static class Ci
{
    public static bool IsOn => string.Equals(Environment.GetEnvironmentVariable("CI"), "true", StringComparison.OrdinalIgnoreCase);
}
