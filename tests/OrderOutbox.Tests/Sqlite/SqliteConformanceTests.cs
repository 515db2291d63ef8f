using OrderOutbox.Tests.Conformance;

namespace OrderOutbox.Tests.Sqlite;

public sealed class SqliteEnqueueConformanceTests(SqliteOutboxStoreFixture fixture)
    : EnqueueConformanceTests<SqliteOutboxStoreFixture>(fixture);

public sealed class SqliteClaimConformanceTests(SqliteOutboxStoreFixture fixture)
    : ClaimConformanceTests<SqliteOutboxStoreFixture>(fixture);

public sealed class SqliteOutcomeConformanceTests(SqliteOutboxStoreFixture fixture)
    : OutcomeConformanceTests<SqliteOutboxStoreFixture>(fixture);

public sealed class SqliteAdminConformanceTests(SqliteOutboxStoreFixture fixture)
    : AdminConformanceTests<SqliteOutboxStoreFixture>(fixture);

public sealed class SqliteSchemaConformanceTests(SqliteOutboxStoreFixture fixture)
    : SchemaConformanceTests<SqliteOutboxStoreFixture>(fixture);

public sealed class SqliteOrderingConformanceTests(SqliteOutboxStoreFixture fixture)
    : OrderingConformanceTests<SqliteOutboxStoreFixture>(fixture);

public sealed class SqliteReplayConformanceTests(SqliteOutboxStoreFixture fixture)
    : ReplayConformanceTests<SqliteOutboxStoreFixture>(fixture);

public sealed class SqliteBulkEnqueueConformanceTests(SqliteOutboxStoreFixture fixture)
    : BulkEnqueueConformanceTests<SqliteOutboxStoreFixture>(fixture);
