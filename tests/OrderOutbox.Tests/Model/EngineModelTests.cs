using System.Globalization;
using FluentAssertions;
using OrderOutbox.Tests.Conformance;
using Xunit;

namespace OrderOutbox.Tests.Model;

/// <summary>
/// The randomized model test of the whole engine (see <c>docs/reliability.md</c>, "The model test"): each run draws
/// processors, settings, records, receiver behaviour, crashes and stops from its seed, drives the real engine on a fake
/// clock against the store, and checks the invariants. A failure names the seed and the command that replays it.
/// </summary>
/// <remarks>
/// <c>ORDEROUTBOX_MODEL_SEED</c> sets the first seed (default 1) and <c>ORDEROUTBOX_MODEL_RUNS</c> the number of runs
/// per store (default: <see cref="DefaultRuns"/>, few for the SQL stores so CI stays fast).
/// </remarks>
/// <typeparam name="TFixture">The store's fixture (the conformance suite's).</typeparam>
[Collection(EngineModelCollection.Name)]
public abstract class EngineModelTests<TFixture>(TFixture fixture) : IClassFixture<TFixture>
    where TFixture : class, IOutboxStoreFixture
{
    public const string SeedVariable = "ORDEROUTBOX_MODEL_SEED";
    public const string RunsVariable = "ORDEROUTBOX_MODEL_RUNS";

    protected abstract int DefaultRuns { get; }

    internal abstract ModelScale Scale { get; }

    /// <summary>The faults beyond crashes and stops this class injects.</summary>
    internal virtual ModelFaults Faults => ModelFaults.None;

    [Fact]
    public async Task Every_run_ends_with_every_record_final_or_waiting_fenced_bounded_and_unleased()
    {
        int first = ReadNumber(SeedVariable) ?? 1;
        int runs = ReadNumber(RunsVariable) ?? DefaultRuns;
        var reports = new List<ModelReport>();
        for (int seed = first; seed < first + runs; seed++)
        {
            ModelReport report = await new ModelRun(new ModelConfig(seed, Scale, Faults), fixture).RunAsync(TestContext.Current.CancellationToken);
            reports.Add(report);
            TestContext.Current.TestOutputHelper?.WriteLine(string.Create(
                CultureInfo.InvariantCulture,
                $"model {fixture.ProviderName} seed {report.Seed}: {report.Records} records, {report.Attempts} attempts, {report.Crashes} crashes, {report.Stops} stops, {report.Stalls} stalls, {report.Steps} driver steps, {report.FakeTime.TotalMinutes:0.#} fake min, {report.RealTime.TotalSeconds:0.0} s"));
            report.Violations.Should().BeEmpty(report.Failure);
        }

        reports.Sum(r => r.Attempts).Should().BeGreaterThan(0, "the runs must have driven the engine");
        TestContext.Current.TestOutputHelper?.WriteLine(string.Create(
            CultureInfo.InvariantCulture,
            $"model {fixture.ProviderName}: {runs} runs (seeds {first}..{first + runs - 1}), {reports.Sum(r => r.Records)} records, {reports.Sum(r => r.Attempts)} attempts, {reports.Sum(r => r.Crashes)} crashes, {reports.Sum(r => r.Stalls)} stalls, {reports.Sum(r => r.RealTime.TotalSeconds):0.0} s"));
    }

    private static int? ReadNumber(string variable)
        => int.TryParse(Environment.GetEnvironmentVariable(variable), NumberStyles.Integer, CultureInfo.InvariantCulture, out int value) ? value : null;
}

/// <summary>
/// The model runs one store at a time, after the parallel tests: its settle check looks at the thread pool, and a run
/// is only replayable when no other test competes for it.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class EngineModelCollection
{
    public const string Name = "Engine model";
}

public sealed class InMemoryEngineModelTests(InMemoryOutboxStoreFixture fixture) : EngineModelTests<InMemoryOutboxStoreFixture>(fixture)
{
    protected override int DefaultRuns => 4;

    internal override ModelScale Scale => ModelScale.InMemory;
}
