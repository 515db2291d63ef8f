using System.Globalization;

namespace OrderOutbox.Tests.Model;

/// <summary>How big a run is for one kind of store (the SQL stores do real I/O, so they get smaller runs).</summary>
/// <param name="MinRecords">Records committed at the start, at least.</param>
/// <param name="MaxRecords">Records committed at the start, at most.</param>
/// <param name="MaxSteps">Driver steps of the main phase.</param>
internal sealed record ModelScale(int MinRecords, int MaxRecords, int MaxSteps)
{
    public static ModelScale InMemory { get; } = new(80, 200, 1500);

    public static ModelScale Sql { get; } = new(40, 90, 900);
}

/// <summary>The settings of one processor of a run.</summary>
internal sealed record ModelProcessorSettings(int BatchSize, int MaxConcurrency, bool OneBatchPerCycle, TimeSpan LeaseDuration)
{
    public override string ToString() => string.Create(
        CultureInfo.InvariantCulture,
        $"batch {BatchSize}, concurrency {MaxConcurrency}{(OneBatchPerCycle ? ", one batch per cycle" : string.Empty)}, lease {LeaseDuration.TotalSeconds:0.###} s");
}

/// <summary>Everything a run's seed decides before it starts; the driver's random choices come from the same seed.</summary>
internal sealed class ModelConfig
{
    public ModelConfig(int seed, ModelScale scale, ModelFaults faults = ModelFaults.None)
    {
        Seed = seed;
        Faults = faults;
        Random = new Random(seed);
        DispatchTimeout = TimeSpan.FromMilliseconds(Random.Next(1000, 3001));
        InitialBackoff = TimeSpan.FromSeconds(Random.Next(2, 9));
        Records = Random.Next(scale.MinRecords, scale.MaxRecords + 1);
        Processors = Random.Next(2, 5);
        MaxSteps = scale.MaxSteps;
        Crashes = Random.Next(1, 5);
        Stops = Random.Next(1, 4);
    }

    public int Seed { get; }

    public ModelFaults Faults { get; }

    /// <summary>The run's random source: config first, then every driver choice, in order.</summary>
    public Random Random { get; }

    public TimeSpan DispatchTimeout { get; }

    public TimeSpan InitialBackoff { get; }

    public int MaxRetries => 5;

    public int Records { get; }

    public int Processors { get; }

    public int MaxSteps { get; }

    /// <summary>Crashes the driver may inject in the main phase.</summary>
    public int Crashes { get; }

    /// <summary>Clean stops (graceful or with calls aborted) the driver may inject in the main phase.</summary>
    public int Stops { get; }

    /// <summary>
    /// Draws a processor's settings. The lease covers the engine's worst case with room to spare (unless
    /// <see cref="ModelFaults.TightLeases"/>): up to
    /// 2 × claimers × batch records wait behind the calls in flight, then the record's own call
    /// ((2 + ⌈2·K·B / C⌉) × timeout, times 1 to 2), and at least what the option validator asks.
    /// </summary>
    public ModelProcessorSettings NextProcessor()
    {
        int batch = Random.Next(1, 13);
        int concurrency = Random.Next(1, 9);
        bool oneBatch = Random.NextDouble() < 0.15;
        int claimers = oneBatch ? 1 : Math.Clamp((concurrency + batch - 1) / batch, 1, 8);
        long queued = ((2L * claimers * batch) + concurrency - 1) / concurrency;
        long validator = (2L * ((batch + concurrency - 1) / concurrency)) + 2;
        double factor = 1 + Random.NextDouble();
        double timeout = DispatchTimeout.TotalMilliseconds;
        double milliseconds = Faults.HasFlag(ModelFaults.TightLeases)
            ? Math.Ceiling(timeout + Math.Min(timeout, 5000) + (Random.NextDouble() * timeout))
            : Math.Ceiling(timeout * Math.Max(2 + queued, validator) * factor);
        return new ModelProcessorSettings(batch, concurrency, oneBatch, TimeSpan.FromMilliseconds(milliseconds));
    }

    public OutboxOptions Options(ModelProcessorSettings settings) => new()
    {
        BatchSize = settings.BatchSize,
        MaxConcurrency = settings.MaxConcurrency,
        OneBatchPerCycle = settings.OneBatchPerCycle,
        LeaseDuration = settings.LeaseDuration,
        DispatchTimeout = DispatchTimeout,
        Backoff = Backoff(),
    };

    public BackoffOptions Backoff() => new()
    {
        InitialDelay = InitialBackoff,
        Multiplier = 2,
        MaxDelay = TimeSpan.FromHours(1),
        MaxRetries = MaxRetries,
        UseJitter = false,
    };

    public override string ToString() => string.Create(
        CultureInfo.InvariantCulture,
        $"seed {Seed}: {Records} records, {Processors} processors, timeout {DispatchTimeout.TotalMilliseconds:0} ms, backoff {InitialBackoff.TotalSeconds:0} s x2 (5 retries), up to {Crashes} crashes and {Stops} stops, faults: {Faults}");
}
