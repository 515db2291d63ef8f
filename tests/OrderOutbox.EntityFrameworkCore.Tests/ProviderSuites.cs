using OrderOutbox.EntityFrameworkCore.Tests.Support;

namespace OrderOutbox.EntityFrameworkCore.Tests;

public sealed class SqliteEfOutboxTests(SqliteEfFixture fixture) : EfOutboxSuite<SqliteEfFixture>(fixture);

public sealed class PostgreSqlEfOutboxTests(PostgreSqlEfFixture fixture) : EfOutboxSuite<PostgreSqlEfFixture>(fixture);

public sealed class SqlServerEfOutboxTests(SqlServerEfFixture fixture) : EfOutboxSuite<SqlServerEfFixture>(fixture);

public sealed class SqliteEfDeliveryTests(SqliteEfFixture fixture) : EfDeliverySuite<SqliteEfFixture>(fixture);

public sealed class PostgreSqlEfDeliveryTests(PostgreSqlEfFixture fixture) : EfDeliverySuite<PostgreSqlEfFixture>(fixture);

public sealed class SqlServerEfDeliveryTests(SqlServerEfFixture fixture) : EfDeliverySuite<SqlServerEfFixture>(fixture);
