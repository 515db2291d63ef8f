using OrderOutbox.Tests.Conformance;

namespace OrderOutbox.Tests.SqlServer;

public sealed class SqlServerEnqueueConformanceTests(SqlServerOutboxStoreFixture fixture)
    : EnqueueConformanceTests<SqlServerOutboxStoreFixture>(fixture);

public sealed class SqlServerClaimConformanceTests(SqlServerOutboxStoreFixture fixture)
    : ClaimConformanceTests<SqlServerOutboxStoreFixture>(fixture);

public sealed class SqlServerOutcomeConformanceTests(SqlServerOutboxStoreFixture fixture)
    : OutcomeConformanceTests<SqlServerOutboxStoreFixture>(fixture);

public sealed class SqlServerAdminConformanceTests(SqlServerOutboxStoreFixture fixture)
    : AdminConformanceTests<SqlServerOutboxStoreFixture>(fixture);

public sealed class SqlServerSchemaConformanceTests(SqlServerOutboxStoreFixture fixture)
    : SchemaConformanceTests<SqlServerOutboxStoreFixture>(fixture);

public sealed class SqlServerOrderingConformanceTests(SqlServerOutboxStoreFixture fixture)
    : OrderingConformanceTests<SqlServerOutboxStoreFixture>(fixture);

public sealed class SqlServerReplayConformanceTests(SqlServerOutboxStoreFixture fixture)
    : ReplayConformanceTests<SqlServerOutboxStoreFixture>(fixture);

public sealed class SqlServerBulkEnqueueConformanceTests(SqlServerOutboxStoreFixture fixture)
    : BulkEnqueueConformanceTests<SqlServerOutboxStoreFixture>(fixture);
