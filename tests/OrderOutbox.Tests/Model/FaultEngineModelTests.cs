using OrderOutbox.Tests.Conformance;
using OrderOutbox.Tests.PostgreSql;
using OrderOutbox.Tests.Sqlite;

namespace OrderOutbox.Tests.Model;

/// <summary>
/// Frozen processes (longer than their lease) among replicas that share one configured InstanceId: late outcomes must
/// be fenced out, no call may start on a lease that already ended, and equal-looking claims must stay apart.
/// </summary>
public sealed class InMemoryStallEngineModelTests(InMemoryOutboxStoreFixture fixture) : EngineModelTests<InMemoryOutboxStoreFixture>(fixture)
{
    protected override int DefaultRuns => 2;

    internal override ModelScale Scale => ModelScale.InMemory;

    internal override ModelFaults Faults => ModelFaults.Stalls | ModelFaults.SharedInstanceId;
}

/// <summary>Database blips on claims and outcome writes, with leases as short as the validator allows: nothing lost, nothing stranded.</summary>
public sealed class InMemoryBlipEngineModelTests(InMemoryOutboxStoreFixture fixture) : EngineModelTests<InMemoryOutboxStoreFixture>(fixture)
{
    protected override int DefaultRuns => 2;

    internal override ModelScale Scale => ModelScale.InMemory;

    internal override ModelFaults Faults => ModelFaults.StoreBlips | ModelFaults.TightLeases;
}

/// <summary>Every fault at once against a real SQLite file.</summary>
public sealed class SqliteFaultEngineModelTests(SqliteOutboxStoreFixture fixture) : EngineModelTests<SqliteOutboxStoreFixture>(fixture)
{
    protected override int DefaultRuns => 1;

    internal override ModelScale Scale => ModelScale.Sql;

    internal override ModelFaults Faults => ModelFaults.Stalls | ModelFaults.SharedInstanceId | ModelFaults.StoreBlips | ModelFaults.TightLeases;
}

/// <summary>Every fault at once against real PostgreSQL.</summary>
public sealed class PostgreSqlFaultEngineModelTests(PostgreSqlOutboxStoreFixture fixture) : EngineModelTests<PostgreSqlOutboxStoreFixture>(fixture)
{
    protected override int DefaultRuns => 1;

    internal override ModelScale Scale => ModelScale.Sql;

    internal override ModelFaults Faults => ModelFaults.Stalls | ModelFaults.SharedInstanceId | ModelFaults.StoreBlips | ModelFaults.TightLeases;
}
