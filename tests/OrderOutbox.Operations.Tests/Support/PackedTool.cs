using System.Globalization;
using System.Reflection;
using OrderOutbox.PackageTests;

namespace OrderOutbox.Operations.Tests.Support;

/// <summary>
/// Packs <c>OrderOutbox.Cli</c> (<c>dotnet pack</c>, a unique pre-release version, build output in a temporary
/// artifacts folder) and installs it with <c>dotnet tool install --tool-path</c> from that local folder only, once for the
/// CLI test classes. Everything is deleted afterwards, including the version's copy in the global packages folder.
/// </summary>
public sealed class PackedTool : IAsyncLifetime
{
    public const string PackageId = "OrderOutbox.Cli";

    private readonly string _work = Path.Combine(Path.GetTempPath(), "orderoutbox-cli-tests-" + Guid.NewGuid().ToString("N")[..12]);
    private ProcessResult? _failure;

    public string Version { get; } = string.Create(CultureInfo.InvariantCulture, $"0.0.0-clitest.{TimeProvider.System.GetUtcNow():yyyyMMddHHmmss}.{Environment.ProcessId}");

    /// <summary>The installed command (<c>orderoutbox</c>); fails the test with the pack or install output if either failed.</summary>
    public string Command
    {
        get
        {
            if (_failure is not null)
            {
                throw new InvalidOperationException("Packing or installing the tool failed:\n" + _failure);
            }

            return Path.Combine(_work, "tools", "orderoutbox");
        }
    }

    public string WorkFolder => _work;

    public async ValueTask InitializeAsync()
    {
        Directory.CreateDirectory(_work);
        string root = typeof(PackedTool).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().Single(a => a.Key == "RepositoryRoot").Value!;
        string packages = Path.Combine(_work, "packages");
        ProcessResult pack = await DotNetCli.RunAsync(
            root,
            [
                "pack", Path.Combine(root, "src", PackageId, PackageId + ".csproj"), "-c", "Release", "-o", packages,
                "--artifacts-path", Path.Combine(_work, "artifacts"), $"-p:Version={Version}", "-nodeReuse:false", "-p:UseSharedCompilation=false",
            ],
            TestContext.Current.CancellationToken);
        if (pack.ExitCode != 0)
        {
            _failure = pack;
            return;
        }

        // Installed from outside the repository, so its nuget.config (source mapping) does not hide the local folder.
        ProcessResult install = await DotNetCli.RunAsync(
            _work,
            ["tool", "install", "--tool-path", Path.Combine(_work, "tools"), "--add-source", packages, PackageId, "--version", Version],
            TestContext.Current.CancellationToken);
        if (install.ExitCode != 0)
        {
            _failure = install;
        }
    }

    /// <summary>
    /// Runs the installed tool through <c>env</c>, so <c>ORDEROUTBOX_CONNECTION</c> is exactly <paramref name="connection"/>
    /// (or unset), whatever the test's own environment holds.
    /// </summary>
    public Task<ProcessResult> RunAsync(IEnumerable<string> arguments, string? connection = null)
    {
        List<string> command = ["-u", "ORDEROUTBOX_CONNECTION"];
        if (connection is not null)
        {
            command.Add("ORDEROUTBOX_CONNECTION=" + connection);
        }

        return DotNetCli.RunAsync("env", _work, [.. command, Command, .. arguments], TestContext.Current.CancellationToken);
    }

    public ValueTask DisposeAsync()
    {
        TryDelete(_work);
        string globalPackages = Environment.GetEnvironmentVariable("NUGET_PACKAGES") is { Length: > 0 } configured
            ? configured
            : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages");
        TryDelete(Path.Combine(globalPackages, PackageId.ToLowerInvariant(), Version));
        return ValueTask.CompletedTask;
    }

    private static void TryDelete(string folder)
    {
        try
        {
            Directory.Delete(folder, recursive: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // best effort: a temporary folder left behind is harmless (a missing one throws DirectoryNotFoundException, an IOException)
        }
    }
}

[CollectionDefinition(Name)]
public sealed class PackedToolCollection : ICollectionFixture<PackedTool>
{
    public const string Name = "packed orderoutbox tool";
}
