namespace OrderOutbox.Tests.Model;

/// <summary>Faults beyond crashes and stops that a run may inject.</summary>
[Flags]
internal enum ModelFaults
{
    None = 0,

    /// <summary>
    /// A running process freezes (a long GC pause, a frozen VM) for longer than its lease while the others go on, then
    /// resumes: its late outcomes must be fenced out, and it must not start calls on leases that already ended.
    /// </summary>
    Stalls = 1,

    /// <summary>Every processor is configured with the same <c>InstanceId</c> (replicas sharing one configuration).</summary>
    SharedInstanceId = 2,

    /// <summary>A store call fails once now and then (a database blip) before reaching the database.</summary>
    StoreBlips = 4,

    /// <summary>
    /// Leases as short as the option validator allows (the dispatch timeout plus the outcome-write allowance, up to 3 ×
    /// the timeout), whatever the batch size and concurrency: the engine must budget its claims to what it can start.
    /// </summary>
    TightLeases = 8,
}

/// <summary>The database blip the model injects (a cycle that fails with it is not a defect; a lost outcome is).</summary>
internal sealed class ModelStoreBlipException() : Exception("model: the database connection dropped");
