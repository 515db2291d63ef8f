namespace OrderOutbox.Benchmarks.Infrastructure;

/// <summary>Where <c>--publish</c> writes the run: <c>docs/benchmarks/</c> of the repository this harness was built from.</summary>
internal static class Publishing
{
    /// <summary>
    /// The repository's <c>docs/benchmarks</c>: found by walking up from the current directory, then from the
    /// executable's, to the first directory holding <c>OrderOutbox.slnx</c>/<c>.sln</c> or a <c>.git</c> entry.
    /// </summary>
    public static string Directory()
    {
        foreach (var start in new[] { Environment.CurrentDirectory, AppContext.BaseDirectory })
        {
            for (var d = new DirectoryInfo(start); d is not null; d = d.Parent)
            {
                if (d.EnumerateFiles("*.sln*").Any() || File.Exists(Path.Combine(d.FullName, ".git")) || System.IO.Directory.Exists(Path.Combine(d.FullName, ".git")))
                {
                    return Path.Combine(d.FullName, "docs", "benchmarks");
                }
            }
        }

        throw new InvalidOperationException("--publish: no repository root (a *.sln/*.slnx or .git) above the current directory or the harness");
    }
}
