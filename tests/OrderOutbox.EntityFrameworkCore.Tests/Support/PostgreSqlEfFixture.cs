using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using OrderOutbox.PostgreSql;
using Xunit;

namespace OrderOutbox.EntityFrameworkCore.Tests.Support;

/// <summary>
/// A fresh PostgreSQL schema per test class, dropped at the end. The connection string comes from
/// <c>ORDEROUTBOX_TEST_POSTGRES</c>; without it the tests fail when <c>CI=true</c> and are skipped otherwise.
/// </summary>
public sealed class PostgreSqlEfFixture : IEfStoreFixture
{
    public const string EnvironmentVariable = "ORDEROUTBOX_TEST_POSTGRES";

    private NpgsqlDataSource? _dataSource;
    private string? _skipReason;

    public string? Schema { get; } = "oo_ef_" + Guid.NewGuid().ToString("N")[..16];

    /// <summary>One minute: deliveries within a test's time can only come from the wake-up.</summary>
    public TimeSpan PollingInterval => TimeSpan.FromMinutes(1);

    public string ConnectionString
    {
        get
        {
            Assert.SkipWhen(_skipReason is not null, _skipReason ?? string.Empty);
            return _dataSource!.ConnectionString;
        }
    }

    public NpgsqlDataSource DataSource
    {
        get
        {
            Assert.SkipWhen(_skipReason is not null, _skipReason ?? string.Empty);
            return _dataSource!;
        }
    }

    public void UseProvider(DbContextOptionsBuilder builder) => builder.UseNpgsql(ConnectionString);

    public OutboxStoreHandle CreateStore(string table, TimeProvider timeProvider)
    {
        var store = new PostgreSqlOutboxStore(DataSource, new PostgreSqlOutboxOptions { Schema = Schema, TableName = table }, timeProvider);
        return new OutboxStoreHandle(store, store);
    }

    public void UseStore(OrderOutboxBuilder builder, string table)
        => builder.UsePostgreSql(ConnectionString, pg =>
        {
            pg.Schema = Schema;
            pg.TableName = table;
            pg.EnsureSchemaOnStartup = true;
        });

    public async ValueTask InitializeAsync()
    {
#if !NET10_0_OR_GREATER
        // Npgsql.EntityFrameworkCore.PostgreSQL 8 (the provider of EF Core 8) does not load with Npgsql 10, which
        // OrderOutbox.PostgreSql requires (TypeLoadException: Npgsql.Internal.HackyEnumTypeMapping).
        _skipReason = "On net8.0 the EF Core 8 provider for PostgreSQL cannot run beside Npgsql 10 (OrderOutbox.PostgreSql); these tests run on net10.0.";
        _dataSource = null;
        await Task.CompletedTask;
        return;
#else
        string? connectionString = Environment.GetEnvironmentVariable(EnvironmentVariable);
        if (string.IsNullOrWhiteSpace(connectionString))
        {
            if (string.Equals(Environment.GetEnvironmentVariable("CI"), "true", StringComparison.OrdinalIgnoreCase))
            {
                throw new InvalidOperationException($"CI=true but {EnvironmentVariable} is not set: the PostgreSQL tests must run in CI.");
            }

            _skipReason = $"PostgreSQL tests need {EnvironmentVariable} (an Npgsql connection string); it is not set.";
            return;
        }

        // Npgsql hides the password from ConnectionString unless asked to keep it (EF Core and the store reconnect).
        _dataSource = new NpgsqlDataSourceBuilder(connectionString) { ConnectionStringBuilder = { PersistSecurityInfo = true } }.Build();
        await using NpgsqlCommand command = _dataSource.CreateCommand($"CREATE SCHEMA \"{Schema}\"");
        await command.ExecuteNonQueryAsync();
#endif
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
}
