using System.Reflection;
using FluentAssertions;
using Xunit;

namespace OrderOutbox.Tests.Conformance;

/// <summary>
/// Every store runs every conformance suite: for each abstract suite (<c>*ConformanceTests&lt;TFixture&gt;</c>) and each
/// concrete <see cref="IOutboxStoreFixture"/>, a sealed subclass closing the suite over that fixture must exist.
/// </summary>
public sealed class ConformanceGuardTests
{
    [Fact]
    public void Every_store_fixture_runs_every_conformance_suite()
    {
        Type[] types = typeof(ConformanceGuardTests).Assembly.GetTypes();
        Type[] suites = ConformanceSuites(types);
        Type[] fixtures = types
            .Where(t => t is { IsClass: true, IsAbstract: false } && typeof(IOutboxStoreFixture).IsAssignableFrom(t))
            .ToArray();

        var missing = new List<string>();
        foreach (Type fixture in fixtures)
        {
            foreach (Type suite in suites)
            {
                Type closed = suite.MakeGenericType(fixture);
                bool runs = types.Any(t => t is { IsClass: true, IsAbstract: false } && t.IsSealed && closed.IsAssignableFrom(t));
                if (!runs)
                {
                    missing.Add($"{fixture.Name} does not run {suite.Name[..suite.Name.IndexOf('`', StringComparison.Ordinal)]}: " +
                                $"add 'public sealed class … : {suite.Name[..suite.Name.IndexOf('`', StringComparison.Ordinal)]}<{fixture.Name}>'");
                }
            }
        }

        missing.Should().BeEmpty();
    }

    [Fact]
    public void The_guard_sees_the_suites_and_at_least_one_fixture()
    {
        Type[] types = typeof(ConformanceGuardTests).Assembly.GetTypes();

        ConformanceSuites(types).Select(t => t.Name).Should().Contain(
            ["EnqueueConformanceTests`1", "BulkEnqueueConformanceTests`1", "ClaimConformanceTests`1", "OutcomeConformanceTests`1", "AdminConformanceTests`1", "SchemaConformanceTests`1", "ReplayConformanceTests`1"]);
        types.Should().Contain(t => t.IsClass && !t.IsAbstract && typeof(IOutboxStoreFixture).IsAssignableFrom(t));
    }

    private static Type[] ConformanceSuites(Type[] types) => types
        .Where(t => t is { IsClass: true, IsAbstract: true, IsGenericTypeDefinition: true }
                    && t.Name.EndsWith("ConformanceTests`1", StringComparison.Ordinal)
                    && t.GetMethods(BindingFlags.Public | BindingFlags.Instance).Any(m => m.GetCustomAttributes<FactAttribute>(inherit: true).Any()))
        .ToArray();
}
