using System.Data.Common;
using Microsoft.Extensions.DependencyInjection;
using OrderOutbox.Storage;
using OrderOutbox.Tests.SqlServer;
using Xunit;

namespace OrderOutbox.Tests.EndToEnd;

/// <summary>
/// SQL Server for the end-to-end suite: a fresh schema per test class with every table in it dropped at the end
/// (through <see cref="SqlServerOutboxStoreFixture"/>). The connection string comes from <c>ORDEROUTBOX_TEST_SQLSERVER</c>;
/// without it every test is SKIPPED with that reason — also when <c>CI=true</c>, because no SQL Server can run on this
/// project's machines. With it, the suite runs unchanged.
/// </summary>
public sealed class SqlServerEndToEndFixture : IEndToEndStoreFixture
{
    private const string SkipReason =
        $"SQL Server end-to-end tests need {SqlServerOutboxStoreFixture.EnvironmentVariable} (a Microsoft.Data.SqlClient " +
        "connection string of a database the tests may create and drop schemas in); it is not set. No SQL Server runs on " +
        "this machine, so they are skipped even when CI=true.";

    private readonly SqlServerOutboxStoreFixture _database = new();
    private readonly string? _connectionString = NullIfBlank(Environment.GetEnvironmentVariable(SqlServerOutboxStoreFixture.EnvironmentVariable));

    public string ProviderName => "SqlServer";

    public ValueTask InitializeAsync() => _database.InitializeAsync(); // creates the schema only when configured

    public ValueTask DisposeAsync() => _database.DisposeAsync();

    public Task<DbConnection> OpenConnectionAsync(CancellationToken cancellationToken = default)
    {
        Assert.SkipWhen(_connectionString is null, SkipReason);
        return _database.OpenConnectionAsync(cancellationToken);
    }

    public string QualifyTable(string tableName) => $"[{_database.Schema}].[{tableName}]";

    public void UseStore(OrderOutboxBuilder builder, string tableName, Action<OutboxStoreOptions>? configure = null)
    {
        Assert.SkipWhen(_connectionString is null, SkipReason);
        builder.UseSqlServer(_connectionString!, s =>
        {
            s.Schema = _database.Schema;
            s.TableName = tableName;
            s.EnsureSchemaOnStartup = true;
            configure?.Invoke(s);
        });
    }

    private static string? NullIfBlank(string? value) => string.IsNullOrWhiteSpace(value) ? null : value;
}
