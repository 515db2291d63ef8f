using System.Data.Common;
using Microsoft.Data.SqlClient;
using OrderOutbox.SqlServer;
using OrderOutbox.Storage;
using OrderOutbox.Tests.Conformance;
using Xunit;

namespace OrderOutbox.Tests.SqlServer;

/// <summary>
/// A fresh SQL Server schema (random name) per test class, with every table in it dropped at the end. The connection
/// string comes from <c>ORDEROUTBOX_TEST_SQLSERVER</c>. Without it every test that touches the database is SKIPPED
/// with that reason — also when <c>CI=true</c>, because no SQL Server can run on this project's machines (the
/// statements are still checked offline by <see cref="SqlServerScriptParsingTests"/>).
/// </summary>
/// <remarks>
/// Store construction needs no server, so without one <see cref="CreateStore"/> still builds the real
/// <see cref="SqlServerOutboxStore"/> (identifier validation runs for real and can fail a test) and hands it out
/// behind <see cref="SkippingStore"/>, which skips the test at its first database call.
/// </remarks>
public sealed class SqlServerOutboxStoreFixture : IOutboxStoreFixture
{
    /// <summary>The environment variable holding the test server's connection string.</summary>
    public const string EnvironmentVariable = "ORDEROUTBOX_TEST_SQLSERVER";

    internal const string SkipReason =
        $"SQL Server tests need {EnvironmentVariable} (a Microsoft.Data.SqlClient connection string of a database the " +
        "tests may create and drop schemas in); it is not set. No SQL Server runs on this machine, so they are skipped even when CI=true.";

    private string? _connectionString;

    public string ProviderName => "SqlServer";

    /// <summary>This fixture's own schema.</summary>
    public string Schema { get; } = "oo_test_" + Guid.NewGuid().ToString("N")[..16];

    public async ValueTask InitializeAsync()
    {
        string? connectionString = Environment.GetEnvironmentVariable(EnvironmentVariable);
        if (string.IsNullOrWhiteSpace(connectionString))
        {
            return;
        }

        _connectionString = connectionString;
        await using var connection = new SqlConnection(connectionString);
        await connection.OpenAsync();
        await using var command = new SqlCommand($"EXEC (N'CREATE SCHEMA [{Schema}]');", connection);
        await command.ExecuteNonQueryAsync();
    }

    public async ValueTask DisposeAsync()
    {
        if (_connectionString is null)
        {
            return;
        }

        await using var connection = new SqlConnection(_connectionString);
        await connection.OpenAsync();
        await using var command = new SqlCommand(
            """
            DECLARE @sql nvarchar(max) = N'';
            SELECT @sql = @sql + N'DROP TABLE ' + QUOTENAME(s.name) + N'.' + QUOTENAME(t.name) + N';'
            FROM sys.tables AS t INNER JOIN sys.schemas AS s ON s.schema_id = t.schema_id
            WHERE s.name = @schema;
            EXEC sys.sp_executesql @sql;
            IF SCHEMA_ID(@schema) IS NOT NULL EXEC (N'DROP SCHEMA ' + QUOTENAME(@schema));
            """,
            connection);
        command.Parameters.AddWithValue("@schema", Schema);
        await command.ExecuteNonQueryAsync();
        SqlConnection.ClearPool(connection);
    }

    public async Task<ConformanceStore> CreateStoreAsync(TimeProvider? timeProvider = null, CancellationToken cancellationToken = default)
    {
        ConformanceStore store = CreateStore(null, timeProvider);
        await store.Store.EnsureSchemaAsync(cancellationToken);
        return store;
    }

    public ConformanceStore CreateStore(Action<OutboxStoreOptions>? configure = null, TimeProvider? timeProvider = null)
    {
        var options = new SqlServerOutboxOptions
        {
            // Without a server the store is still built (construction runs no SQL); it never connects, see SkippingStore.
            ConnectionString = _connectionString ?? "Server=127.0.0.1,1;Database=not_configured;Connect Timeout=1",
            Schema = Schema,
            TableName = "outbox_" + Guid.NewGuid().ToString("N")[..12],
        };
        configure?.Invoke(options);
        var store = new SqlServerOutboxStore(options, timeProvider);
        if (_connectionString is null)
        {
            var skipping = new SkippingStore();
            return new ConformanceStore(skipping, skipping, options.TableName);
        }

        return new ConformanceStore(store, store, options.TableName);
    }

    public Task CreateVersion01TableAsync(string tableName, CancellationToken cancellationToken = default)
        => ExecuteScalarAsync(
            LegacySchemaScripts.Read("outbox.sqlserver.v0.1.sql")
                .Replace("$(OutboxSchema)", Schema, StringComparison.Ordinal)
                .Replace("$(OutboxTable)", tableName, StringComparison.Ordinal),
            cancellationToken);

    public async Task<DbConnection> OpenConnectionAsync(CancellationToken cancellationToken = default)
    {
        Assert.SkipWhen(_connectionString is null, SkipReason);
        var connection = new SqlConnection(_connectionString);
        await connection.OpenAsync(cancellationToken);
        return connection;
    }

    public async Task<object?> ExecuteScalarAsync(string sql, CancellationToken cancellationToken = default)
    {
        Assert.SkipWhen(_connectionString is null, SkipReason);
        await using var connection = new SqlConnection(_connectionString);
        await connection.OpenAsync(cancellationToken);
        await using var command = new SqlCommand(sql, connection);
        object? result = await command.ExecuteScalarAsync(cancellationToken);
        return result is DBNull ? null : result;
    }

    /// <summary>Stands in for a store when no SQL Server is configured: the first database call skips the test.</summary>
    private sealed class SkippingStore : IOutboxStore, IOutboxAdmin
    {
        public Task EnqueueAsync(DbTransaction transaction, OutboxEntry entry, CancellationToken cancellationToken = default) => Skip();

        public Task<IReadOnlyList<OutboxMessage>> ClaimAsync(int batchSize, string leaseOwner, DateTimeOffset now, DateTimeOffset leaseUntil, CancellationToken cancellationToken = default) => Skip<IReadOnlyList<OutboxMessage>>();

        public Task<IReadOnlyCollection<Guid>> CompleteAsync(IReadOnlyList<OutboxOutcome> outcomes, CancellationToken cancellationToken = default) => Skip<IReadOnlyCollection<Guid>>();

        public Task ReleaseAsync(IReadOnlyList<OutboxMessage> messages, CancellationToken cancellationToken = default) => Skip();

        public Task EnsureSchemaAsync(CancellationToken cancellationToken = default) => Skip();

        public Task<OutboxStatistics> GetStatisticsAsync(CancellationToken cancellationToken = default) => Skip<OutboxStatistics>();

        public Task<OutboxMessage?> GetAsync(Guid id, CancellationToken cancellationToken = default) => Skip<OutboxMessage?>();

        public Task<IReadOnlyList<OutboxMessage>> ListDeadLettersAsync(int limit = 100, Guid? after = null, CancellationToken cancellationToken = default) => Skip<IReadOnlyList<OutboxMessage>>();

        public Task<bool> RequeueDeadLetterAsync(Guid id, CancellationToken cancellationToken = default) => Skip<bool>();

        public Task<int> RequeueAllDeadLettersAsync(CancellationToken cancellationToken = default) => Skip<int>();

        public Task<long> CountDeadLettersAsync(DeadLetterFilter filter, CancellationToken cancellationToken = default) => Skip<long>();

        public Task<IReadOnlyList<OutboxMessage>> ListDeadLettersAsync(DeadLetterFilter filter, int limit = 100, Guid? after = null, CancellationToken cancellationToken = default) => Skip<IReadOnlyList<OutboxMessage>>();

        public Task<long> RequeueDeadLettersAsync(DeadLetterFilter filter, int batchSize = DeadLetterFilter.DefaultBatchSize, IProgress<long>? progress = null, CancellationToken cancellationToken = default) => Skip<long>();

        public Task<long> PurgeSentAsync(DateTimeOffset sentBefore, int batchSize = 1000, CancellationToken cancellationToken = default) => Skip<long>();

        private static Task<bool> Skip() => Skip<bool>();

        private static Task<T> Skip<T>()
        {
            Assert.Skip(SkipReason);
            throw new InvalidOperationException("unreachable: Assert.Skip throws");
        }
    }
}
