using System.Globalization;

[assembly: AssemblyFixture(typeof(OrderOutbox.PackageTests.PackedPackages))]

namespace OrderOutbox.PackageTests;

/// <summary>
/// Packs the packages once for the whole test assembly: `dotnet pack` of the src projects, with a unique
/// pre-release version (so no copy cached in the machine's global packages folder can stand in for them), build
/// output under a temporary artifacts folder (so the repository's bin/obj are untouched), packages in a temporary
/// folder. Everything is deleted afterwards, including the unique version's folders in the global packages folder.
/// </summary>
public sealed class PackedPackages : IAsyncLifetime
{
    /// <summary>Set to 1 to skip these (slow) tests locally. Ignored when CI=true: CI always runs them.</summary>
    public const string SkipVariable = "ORDEROUTBOX_SKIP_PACKAGE_TESTS";

    public static readonly string[] PackageIds = ["OrderOutbox", "OrderOutbox.PostgreSql", "OrderOutbox.SqlServer", "OrderOutbox.Sqlite", "OrderOutbox.HealthChecks", "OrderOutbox.EntityFrameworkCore"];

    /// <summary>The packages the demo sample references (the core and the stores); the others are packed and checked, not used by it.</summary>
    public static readonly string[] SamplePackageIds = ["OrderOutbox", "OrderOutbox.PostgreSql", "OrderOutbox.SqlServer", "OrderOutbox.Sqlite"];

    private ProcessResult? _pack;

    public PackedPackages()
    {
        RepositoryRoot = FindRepositoryRoot();
        WorkFolder = Path.Combine(Path.GetTempPath(), "orderoutbox-packagetests-" + Guid.NewGuid().ToString("N")[..12]);
        PackageFolder = Path.Combine(WorkFolder, "packages");
        Version = string.Create(
            CultureInfo.InvariantCulture,
            $"0.0.0-packagetest.{TimeProvider.System.GetUtcNow():yyyyMMddHHmmss}.{Environment.ProcessId}");
    }

    /// <summary>Whether the tests are skipped (only outside CI, on request).</summary>
    public static bool Skipped
        => Environment.GetEnvironmentVariable(SkipVariable) == "1"
           && !string.Equals(Environment.GetEnvironmentVariable("CI"), "true", StringComparison.OrdinalIgnoreCase);

    /// <summary>The folder that holds OrderOutbox.sln.</summary>
    public string RepositoryRoot { get; }

    /// <summary>A temporary folder for this run, deleted at the end.</summary>
    public string WorkFolder { get; }

    /// <summary>Where the .nupkg and .snupkg files are.</summary>
    public string PackageFolder { get; }

    /// <summary>The version the packages were packed with.</summary>
    public string Version { get; }

    /// <summary>The `dotnet pack` run; its failure fails every test with its output.</summary>
    public ProcessResult Pack => _pack ?? throw new InvalidOperationException("The packages were not packed.");

    public string PackagePath(string id, string extension = "nupkg") => Path.Combine(PackageFolder, $"{id}.{Version}.{extension}");

    public async ValueTask InitializeAsync()
    {
        if (Skipped)
        {
            return;
        }

        Directory.CreateDirectory(WorkFolder);
        var ct = TestContext.Current.CancellationToken;

        // A throw-away solution of just the packable projects, so `dotnet pack` builds nothing else.
        var solution = Path.Combine(WorkFolder, "packages.slnx");
        File.WriteAllText(
            solution,
            "<Solution>" + Environment.NewLine
            + string.Concat(PackageIds.Select(id =>
                $"  <Project Path=\"{Path.Combine(RepositoryRoot, "src", id, id + ".csproj")}\" />{Environment.NewLine}"))
            + "</Solution>" + Environment.NewLine);

        _pack = await DotNetCli.RunAsync(
            RepositoryRoot,
            [
                "pack", solution,
                "-c", "Release",
                "-o", PackageFolder,
                "--artifacts-path", Path.Combine(WorkFolder, "artifacts"),
                $"-p:Version={Version}",
                // The throwaway version 0.0.0-… is below the 0.1.0 baseline (CP0003); .ci/run's pack validates the packages.
                "-p:EnablePackageValidation=false",
                "-nodeReuse:false",
                "-p:UseSharedCompilation=false",
            ],
            ct);
    }

    public ValueTask DisposeAsync()
    {
        TryDelete(WorkFolder);

        // The unique version was restored into the machine's global packages folder by the consumer build.
        var globalPackages = Environment.GetEnvironmentVariable("NUGET_PACKAGES") is { Length: > 0 } configured
            ? configured
            : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages");
        foreach (var id in PackageIds)
        {
            var idFolder = Path.Combine(globalPackages, id.ToLowerInvariant());
            TryDelete(Path.Combine(idFolder, Version));
            if (Directory.Exists(idFolder) && !Directory.EnumerateFileSystemEntries(idFolder).Any())
            {
                TryDelete(idFolder);
            }
        }

        return ValueTask.CompletedTask;
    }

    private static void TryDelete(string folder)
    {
        try
        {
            if (Directory.Exists(folder))
            {
                Directory.Delete(folder, recursive: true);
            }
        }
        catch (IOException)
        {
            // best effort: a temporary folder left behind is harmless
        }
        catch (UnauthorizedAccessException)
        {
        }
    }

    private static string FindRepositoryRoot()
    {
        for (var folder = new DirectoryInfo(AppContext.BaseDirectory); folder is not null; folder = folder.Parent)
        {
            if (File.Exists(Path.Combine(folder.FullName, "OrderOutbox.sln")))
            {
                return folder.FullName;
            }
        }

        throw new InvalidOperationException($"OrderOutbox.sln not found above {AppContext.BaseDirectory}.");
    }
}
