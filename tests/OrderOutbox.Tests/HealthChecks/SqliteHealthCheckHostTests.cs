using Microsoft.Extensions.DependencyInjection;
using OrderOutbox.Tests.Sqlite;

namespace OrderOutbox.Tests.HealthChecks;

public sealed class SqliteHealthCheckHostTests(SqliteOutboxStoreFixture fixture) : HealthCheckHostTests<SqliteOutboxStoreFixture>(fixture)
{
    protected override void UseStore(OrderOutboxBuilder builder, string table)
        => builder.UseSqlite(Fixture.ConnectionString, o =>
        {
            o.TableName = table;
            o.EnsureSchemaOnStartup = true;
        });

    // A file that does not exist, opened without the right to create it: every connection fails.
    protected override void UseUnreachableStore(OrderOutboxBuilder builder)
        => builder.UseSqlite($"Data Source={Path.Combine(Path.GetTempPath(), "orderoutbox-missing-" + Guid.NewGuid().ToString("N"), "gone.db")};Mode=ReadWrite");
}
