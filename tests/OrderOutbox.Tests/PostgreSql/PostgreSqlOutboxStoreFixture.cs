using System.Data.Common;
using Npgsql;
using OrderOutbox.PostgreSql;
using OrderOutbox.Storage;
using OrderOutbox.Tests.Conformance;
using Xunit;

namespace OrderOutbox.Tests.PostgreSql;

/// <summary>
/// A fresh PostgreSQL schema (random name) per test class, dropped at the end. The connection string comes from
/// <c>ORDEROUTBOX_TEST_POSTGRES</c>; without it the tests fail when <c>CI=true</c> and are skipped otherwise.
/// </summary>
public sealed class PostgreSqlOutboxStoreFixture : IOutboxStoreFixture
{
    /// <summary>The environment variable holding the test database's connection string.</summary>
    public const string EnvironmentVariable = "ORDEROUTBOX_TEST_POSTGRES";

    private static readonly Lazy<NpgsqlDataSource> OfflineDataSource =
        new(() => NpgsqlDataSource.Create("Host=127.0.0.1;Port=1;Username=none;Database=none"));

    private NpgsqlDataSource? _dataSource;
    private string? _skipReason;
    private string? _connectionString;

    public string ProviderName => "PostgreSql";

    /// <summary>This fixture's own schema.</summary>
    public string Schema { get; } = "oo_test_" + Guid.NewGuid().ToString("N")[..16];

    /// <summary>The connection string, password included (skips the test when there is none).</summary>
    public string ConnectionString
    {
        get
        {
            _ = DataSource;
            return _connectionString!;
        }
    }

    /// <summary>The data source over the test database (skips the test when there is none).</summary>
    public NpgsqlDataSource DataSource
    {
        get
        {
            Assert.SkipWhen(_skipReason is not null, _skipReason ?? string.Empty);
            return _dataSource ?? throw new InvalidOperationException("The fixture is not initialised.");
        }
    }

    public async ValueTask InitializeAsync()
    {
        string? connectionString = Environment.GetEnvironmentVariable(EnvironmentVariable);
        if (string.IsNullOrWhiteSpace(connectionString))
        {
            if (string.Equals(Environment.GetEnvironmentVariable("CI"), "true", StringComparison.OrdinalIgnoreCase))
            {
                throw new InvalidOperationException(
                    $"CI=true but {EnvironmentVariable} is not set: the PostgreSQL tests must run in CI. Set it to an Npgsql " +
                    "connection string of a database the tests may create and drop schemas in.");
            }

            _skipReason = $"PostgreSQL tests need {EnvironmentVariable} (an Npgsql connection string); it is not set.";
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

    public async Task<ConformanceStore> CreateStoreAsync(TimeProvider? timeProvider = null, CancellationToken cancellationToken = default)
    {
        ConformanceStore store = CreateStore(null, timeProvider);
        await store.Store.EnsureSchemaAsync(cancellationToken);
        return store;
    }

    public ConformanceStore CreateStore(Action<OutboxStoreOptions>? configure = null, TimeProvider? timeProvider = null)
    {
        PostgreSqlOutboxStore store = CreatePostgreSqlStore(configure, timeProvider, out PostgreSqlOutboxOptions options);
        return new ConformanceStore(store, store, options.TableName);
    }

    /// <summary>Builds the concrete store over this fixture's schema and a new unique table.</summary>
    public PostgreSqlOutboxStore CreatePostgreSqlStore(
        Action<PostgreSqlOutboxOptions>? configure, TimeProvider? timeProvider, out PostgreSqlOutboxOptions options)
    {
        options = new PostgreSqlOutboxOptions
        {
            Schema = Schema,
            TableName = "outbox_" + Guid.NewGuid().ToString("N")[..12],
        };
        configure?.Invoke(options);

        // Without a database the store is still constructed over a data source that never connects, so option
        // validation (hostile names) is really tested; anything that would need the database is skipped.
        var store = new PostgreSqlOutboxStore(_dataSource ?? OfflineDataSource.Value, options, timeProvider);
        Assert.SkipWhen(_skipReason is not null, _skipReason ?? string.Empty);
        return store;
    }

    public Task CreateVersion01TableAsync(string tableName, CancellationToken cancellationToken = default)
        => ExecuteScalarAsync(
            LegacySchemaScripts.Read("postgresql.v0.1.sql")
                .Replace("{{schema}}", $"\"{Schema}\"", StringComparison.Ordinal)
                .Replace("{{table}}", $"\"{tableName}\"", StringComparison.Ordinal)
                .Replace("{{due_index}}", $"\"{tableName}_due_idx\"", StringComparison.Ordinal)
                .Replace("{{dead_index}}", $"\"{tableName}_dead_letter_idx\"", StringComparison.Ordinal)
                .Replace("{{sent_index}}", $"\"{tableName}_sent_idx\"", StringComparison.Ordinal),
            cancellationToken);

    public async Task<DbConnection> OpenConnectionAsync(CancellationToken cancellationToken = default)
        => await DataSource.OpenConnectionAsync(cancellationToken);

    public async Task<object?> ExecuteScalarAsync(string sql, CancellationToken cancellationToken = default)
    {
        await using NpgsqlCommand command = DataSource.CreateCommand(sql);
        object? result = await command.ExecuteScalarAsync(cancellationToken);
        return result is DBNull ? null : result;
    }
}
