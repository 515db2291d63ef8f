using System.Globalization;

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
    private ProcessOutput? _failure;

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
        string root = RepositoryRoot();
        string packages = Path.Combine(_work, "packages");
        ProcessOutput pack = await ProcessRunner.RunAsync(
            "dotnet",
            [
                "pack", Path.Combine(root, "src", PackageId, PackageId + ".csproj"), "-c", "Release", "-o", packages,
                "--artifacts-path", Path.Combine(_work, "artifacts"), $"-p:Version={Version}", "-nodeReuse:false", "-p:UseSharedCompilation=false",
            ],
            root,
            timeout: TimeSpan.FromMinutes(15));
        if (pack.ExitCode != 0)
        {
            _failure = pack;
            return;
        }

        // Installed from outside the repository, so its nuget.config (source mapping) does not hide the local folder.
        ProcessOutput install = await ProcessRunner.RunAsync(
            "dotnet",
            ["tool", "install", "--tool-path", Path.Combine(_work, "tools"), "--add-source", packages, PackageId, "--version", Version],
            _work,
            timeout: TimeSpan.FromMinutes(5));
        if (install.ExitCode != 0)
        {
            _failure = install;
        }
    }

    /// <summary>Runs the installed tool; <paramref name="connection"/> goes into <c>ORDEROUTBOX_CONNECTION</c> when given.</summary>
    public Task<ProcessOutput> RunAsync(IEnumerable<string> arguments, string? connection = null)
        => ProcessRunner.RunAsync(
            Command,
            arguments,
            _work,
            connection is null ? null : new Dictionary<string, string?> { ["ORDEROUTBOX_CONNECTION"] = connection });

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
            if (Directory.Exists(folder))
            {
                Directory.Delete(folder, recursive: true);
            }
        }
        catch (IOException)
        {
            // best effort
        }
        catch (UnauthorizedAccessException)
        {
        }
    }

    private static string RepositoryRoot()
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

[CollectionDefinition(Name)]
public sealed class PackedToolCollection : ICollectionFixture<PackedTool>
{
    public const string Name = "packed orderoutbox tool";
}
