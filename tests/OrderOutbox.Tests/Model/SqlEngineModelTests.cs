using OrderOutbox.Tests.PostgreSql;
using OrderOutbox.Tests.Sqlite;

namespace OrderOutbox.Tests.Model;

public sealed class SqliteEngineModelTests(SqliteOutboxStoreFixture fixture) : EngineModelTests<SqliteOutboxStoreFixture>(fixture)
{
    protected override int DefaultRuns => 2;

    internal override ModelScale Scale => ModelScale.Sql;
}

public sealed class PostgreSqlEngineModelTests(PostgreSqlOutboxStoreFixture fixture) : EngineModelTests<PostgreSqlOutboxStoreFixture>(fixture)
{
    protected override int DefaultRuns => 2;

    internal override ModelScale Scale => ModelScale.Sql;
}
