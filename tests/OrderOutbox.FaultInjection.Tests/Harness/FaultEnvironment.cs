namespace OrderOutbox.FaultInjection.Tests.Harness;

/// <summary>
/// The environment of the suite: the connection string of the fault-injection PostgreSQL cluster and the
/// cluster that <c>pg_ctlcluster</c> restarts. Missing values fail the test when <c>CI=true</c>, skip it otherwise.
/// </summary>
internal static class FaultEnvironment
{
    public const string ConnectionStringVariable = "ORDEROUTBOX_TEST_POSTGRES_FAULTS";
    public const string ClusterVariable = "ORDEROUTBOX_TEST_PG_FAULT_CLUSTER";

    public static bool IsCi => string.Equals(Environment.GetEnvironmentVariable("CI"), "true", StringComparison.OrdinalIgnoreCase);

    /// <summary>The connection string, or fails (CI) / skips (elsewhere) the current test.</summary>
    public static string RequireConnectionString() => Require(ConnectionStringVariable);

    /// <summary>The cluster as <c>(version, name)</c>, for example <c>("15", "faults")</c>, or fails/skips the test.</summary>
    public static (string Version, string Name) RequireCluster()
    {
        var value = Require(ClusterVariable);
        var parts = value.Split(' ', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        if (parts.Length != 2)
        {
            throw new InvalidOperationException($"{ClusterVariable} = '{value}' must be '<version> <cluster>', for example '15 faults'.");
        }

        return (parts[0], parts[1]);
    }

    private static string Require(string variable)
    {
        var value = Environment.GetEnvironmentVariable(variable);
        if (!string.IsNullOrWhiteSpace(value))
        {
            return value;
        }

        var reason = $"{variable} is not set: the fault-injection suite needs its own PostgreSQL cluster (see .ci/run).";
        if (IsCi)
        {
            Assert.Fail(reason + " CI=true, so this is a failure, not a skip.");
        }

        Assert.Skip(reason);
        return string.Empty; // not reached
    }
}
