namespace OrderOutbox.Tests.Conformance;

public sealed class InMemoryEnqueueConformanceTests(InMemoryOutboxStoreFixture fixture)
    : EnqueueConformanceTests<InMemoryOutboxStoreFixture>(fixture);

public sealed class InMemoryClaimConformanceTests(InMemoryOutboxStoreFixture fixture)
    : ClaimConformanceTests<InMemoryOutboxStoreFixture>(fixture);

public sealed class InMemoryOutcomeConformanceTests(InMemoryOutboxStoreFixture fixture)
    : OutcomeConformanceTests<InMemoryOutboxStoreFixture>(fixture);

public sealed class InMemoryAdminConformanceTests(InMemoryOutboxStoreFixture fixture)
    : AdminConformanceTests<InMemoryOutboxStoreFixture>(fixture);

public sealed class InMemorySchemaConformanceTests(InMemoryOutboxStoreFixture fixture)
    : SchemaConformanceTests<InMemoryOutboxStoreFixture>(fixture);

public sealed class InMemoryReplayConformanceTests(InMemoryOutboxStoreFixture fixture)
    : ReplayConformanceTests<InMemoryOutboxStoreFixture>(fixture);

public sealed class InMemoryOrderingConformanceTests(InMemoryOutboxStoreFixture fixture)
    : OrderingConformanceTests<InMemoryOutboxStoreFixture>(fixture);

public sealed class InMemoryBulkEnqueueConformanceTests(InMemoryOutboxStoreFixture fixture)
    : BulkEnqueueConformanceTests<InMemoryOutboxStoreFixture>(fixture);
