using Microsoft.Data.SqlClient;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using OrderOutbox.SqlServer;
using Xunit;

namespace OrderOutbox.EntityFrameworkCore.Tests.Support;

/// <summary>
/// SQL Server: a fresh schema per test class, its tables and the schema dropped at the end. The connection string comes
/// from <c>ORDEROUTBOX_TEST_SQLSERVER</c>; without it every test is skipped with that reason, also when <c>CI=true</c>
/// (no SQL Server runs on this project's machines). With it, the suite runs unchanged.
/// </summary>
public sealed class SqlServerEfFixture : IEfStoreFixture
{
    public const string EnvironmentVariable = "ORDEROUTBOX_TEST_SQLSERVER";

    private const string SkipReason =
        $"SQL Server EF Core tests need {EnvironmentVariable} (a Microsoft.Data.SqlClient connection string of a database the " +
        "tests may create and drop schemas in); it is not set. No SQL Server runs on this machine, so they are skipped even when CI=true.";

    private readonly string? _connectionString = Environment.GetEnvironmentVariable(EnvironmentVariable) is { Length: > 0 } cs ? cs : null;

    public string? Schema { get; } = "oo_ef_" + Guid.NewGuid().ToString("N")[..16];

    public TimeSpan PollingInterval => TimeSpan.FromMilliseconds(100);

    private string ConnectionString
    {
        get
        {
            Assert.SkipWhen(_connectionString is null, SkipReason);
            return _connectionString!;
        }
    }

    public void UseProvider(DbContextOptionsBuilder builder) => builder.UseSqlServer(ConnectionString);

    public OutboxStoreHandle CreateStore(string table, TimeProvider timeProvider)
    {
        var store = new SqlServerOutboxStore(new SqlServerOutboxOptions { ConnectionString = ConnectionString, Schema = Schema, TableName = table }, timeProvider);
        return new OutboxStoreHandle(store, store);
    }

    public void UseStore(OrderOutboxBuilder builder, string table)
        => builder.UseSqlServer(ConnectionString, s =>
        {
            s.Schema = Schema;
            s.TableName = table;
            s.EnsureSchemaOnStartup = true;
        });

    public async ValueTask InitializeAsync()
    {
        if (_connectionString is not null)
        {
            await ExecuteAsync($"CREATE SCHEMA [{Schema}]");
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_connectionString is null)
        {
            return;
        }

        await ExecuteAsync(
            $"DECLARE @sql nvarchar(max) = N''; " +
            $"SELECT @sql += N'DROP TABLE [{Schema}].' + QUOTENAME(name) + N'; ' FROM sys.tables WHERE schema_id = SCHEMA_ID(N'{Schema}'); " +
            $"EXEC (@sql); DROP SCHEMA [{Schema}];");
    }

    private async Task ExecuteAsync(string sql)
    {
        await using var connection = new SqlConnection(_connectionString);
        await connection.OpenAsync();
        await using SqlCommand command = connection.CreateCommand();
        command.CommandText = sql;
        await command.ExecuteNonQueryAsync();
    }
}
