using OrderOutbox.Tests.Conformance;
using Xunit;

namespace OrderOutbox.Tests.PostgreSql;

public sealed class PostgreSqlEnqueueConformanceTests(PostgreSqlOutboxStoreFixture fixture)
    : EnqueueConformanceTests<PostgreSqlOutboxStoreFixture>(fixture);

public sealed class PostgreSqlClaimConformanceTests(PostgreSqlOutboxStoreFixture fixture)
    : ClaimConformanceTests<PostgreSqlOutboxStoreFixture>(fixture);

public sealed class PostgreSqlOutcomeConformanceTests(PostgreSqlOutboxStoreFixture fixture)
    : OutcomeConformanceTests<PostgreSqlOutboxStoreFixture>(fixture);

public sealed class PostgreSqlAdminConformanceTests(PostgreSqlOutboxStoreFixture fixture)
    : AdminConformanceTests<PostgreSqlOutboxStoreFixture>(fixture);

public sealed class PostgreSqlSchemaConformanceTests(PostgreSqlOutboxStoreFixture fixture)
    : SchemaConformanceTests<PostgreSqlOutboxStoreFixture>(fixture);

public sealed class PostgreSqlOrderingConformanceTests(PostgreSqlOutboxStoreFixture fixture)
    : OrderingConformanceTests<PostgreSqlOutboxStoreFixture>(fixture);

public sealed class PostgreSqlReplayConformanceTests(PostgreSqlOutboxStoreFixture fixture)
    : ReplayConformanceTests<PostgreSqlOutboxStoreFixture>(fixture);

public sealed class PostgreSqlBulkEnqueueConformanceTests(PostgreSqlOutboxStoreFixture fixture)
    : BulkEnqueueConformanceTests<PostgreSqlOutboxStoreFixture>(fixture);
