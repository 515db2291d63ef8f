using Microsoft.Data.Sqlite;
using Xunit;

namespace OrderOutbox.Tests.Sqlite;

/// <summary>A fresh temporary SQLite database file for one test class, deleted (with its WAL files) afterwards.</summary>
public sealed class SqliteTestDatabase : IAsyncLifetime
{
    private static int s_tableCounter;

    public SqliteTestDatabase()
    {
        string directory = Path.Combine(Path.GetTempPath(), "orderoutbox-tests");
        Directory.CreateDirectory(directory);
        FilePath = Path.Combine(directory, $"sqlite-{Guid.NewGuid():N}.db");
        ConnectionString = new SqliteConnectionStringBuilder { DataSource = FilePath, Pooling = true, DefaultTimeout = 30 }.ToString();
    }

    public string FilePath { get; }

    public string ConnectionString { get; }

    /// <summary>A table name no other test of this class uses.</summary>
    public static string NewTableName(string prefix = "outbox") => $"{prefix}_{Interlocked.Increment(ref s_tableCounter)}_{Guid.NewGuid().ToString("N")[..8]}";

    public async Task<SqliteConnection> OpenAsync(CancellationToken cancellationToken = default)
    {
        var connection = new SqliteConnection(ConnectionString);
        await connection.OpenAsync(cancellationToken);

        // What the README recommends for the application's own connections: Microsoft.Data.Sqlite alone retries a busy
        // database in its own coarse retry loop (native busy_timeout is 0); SQLite's busy handler waits in finer steps.
        await using SqliteCommand pragma = connection.CreateCommand();
        pragma.CommandText = "PRAGMA busy_timeout = 30000";
        await pragma.ExecuteNonQueryAsync(cancellationToken);
        return connection;
    }

    public async Task<object?> ExecuteScalarAsync(string sql, CancellationToken cancellationToken = default)
    {
        await using SqliteConnection connection = await OpenAsync(cancellationToken);
        await using SqliteCommand command = connection.CreateCommand();
        command.CommandText = sql;
        object? value = await command.ExecuteScalarAsync(cancellationToken);
        return value is DBNull ? null : value;
    }

    public ValueTask InitializeAsync() => ValueTask.CompletedTask;

    public ValueTask DisposeAsync()
    {
        // Pooled connections keep the file open; the store's pool has its own key (it adds Default Timeout).
        SqliteConnection.ClearAllPools();
        foreach (string path in new[] { FilePath, FilePath + "-wal", FilePath + "-shm", FilePath + "-journal" })
        {
            try
            {
                File.Delete(path);
            }
            catch (IOException)
            {
                // best effort: a file still held by a connection of a parallel test class is left in the temp folder
            }
        }

        return ValueTask.CompletedTask;
    }
}
