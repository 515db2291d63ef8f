namespace OrderOutbox.FaultInjection.Tests.Scenarios;

/// <summary>
/// The scenarios run one at a time and alone (each starts several processes; one restarts PostgreSQL), so they
/// neither fight for the two cores nor see each other's faults. Each still uses its own schema.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class FaultScenariosCollection
{
    public const string Name = "Fault-injection scenarios";
}
