using System.Text.Json;
using System.Xml.Linq;
using FluentAssertions;

namespace OrderOutbox.PackageTests;

/// <summary>
/// A consumer's view: a copy of the sample, outside the repository, restored with PackageReference from a local
/// folder holding the packed packages (added next to the machine's default source), built, and run.
/// </summary>
public sealed class SampleFromPackagesTests(PackedPackages packages)
{
    private const string LocalSourceKey = "orderoutbox-packagetest";

    [Fact]
    public async Task Sample_restored_from_the_packed_packages_builds_and_runs_to_a_clean_exit()
    {
        Assert.SkipWhen(PackedPackages.Skipped, $"{PackedPackages.SkipVariable}=1 (ignored when CI=true)");
        packages.Pack.ExitCode.Should().Be(0, packages.Pack.ToString());
        var ct = TestContext.Current.CancellationToken;

        var consumer = Path.Combine(packages.WorkFolder, "consumer");
        var project = CopySample(consumer);
        WriteNuGetConfig(consumer);

        var build = await DotNetCli.RunAsync(
            consumer,
            ["build", project, "-c", "Release", $"-p:OrderOutboxPackageVersion={packages.Version}", "-nodeReuse:false", "-p:UseSharedCompilation=false"],
            ct);
        build.ExitCode.Should().Be(0, build.ToString());

        // The OrderOutbox libraries came from the packages, at the packed version; no project was referenced.
        var projectFolder = Path.GetDirectoryName(project)!;
        using (var assets = JsonDocument.Parse(File.ReadAllText(Path.Combine(projectFolder, "obj", "project.assets.json"))))
        {
            var libraries = assets.RootElement.GetProperty("libraries");
            foreach (var id in PackedPackages.SamplePackageIds)
            {
                libraries.TryGetProperty($"{id}/{packages.Version}", out var library).Should().BeTrue($"{id} {packages.Version} is restored");
                library.GetProperty("type").GetString().Should().Be("package");
            }

            libraries.EnumerateObject().Should().NotContain(l => l.Value.GetProperty("type").GetString() == "project");
        }

        // Run it: SQLite in a temporary file, the built-in fake platform, a dozen orders (one is rejected with 400
        // on purpose, others get 503s and a slow answer). Output is redirected, so it prints plain lines.
        var output = Path.Combine(projectFolder, "bin", "Release", "net10.0");
        var run = await DotNetCli.RunAsync(output, [Path.Combine(output, "OrderOutbox.Sample.dll"), "--Sample:Orders", "12"], ct);
        run.ExitCode.Should().Be(0, run.ToString());
        run.StandardOutput.Should().Contain("OK: every order was delivered or deliberately dead-lettered.", run.ToString());
        run.StandardOutput.Should().MatchRegex(@"Orders completed\W+12 of 12", run.ToString());
        run.StandardOutput.Should().MatchRegex(@"rejected by the receiver \(4xx\)\W+1\b", run.ToString());
    }

    /// <summary>Copies the sample and the build files it needs (not bin/obj) to <paramref name="consumer"/>.</summary>
    private string CopySample(string consumer)
    {
        var root = packages.RepositoryRoot;
        foreach (var file in new[] { "Directory.Build.props", "Directory.Packages.props", "global.json", ".editorconfig", "samples/Directory.Build.props" })
        {
            var source = Path.Combine(root, file);
            if (File.Exists(source))
            {
                var target = Path.Combine(consumer, file);
                Directory.CreateDirectory(Path.GetDirectoryName(target)!);
                File.Copy(source, target, overwrite: true);
            }
        }

        var sampleSource = Path.Combine(root, "samples", "OrderOutbox.Sample");
        var sampleTarget = Path.Combine(consumer, "samples", "OrderOutbox.Sample");
        foreach (var file in Directory.EnumerateFiles(sampleSource, "*", SearchOption.AllDirectories))
        {
            var relative = Path.GetRelativePath(sampleSource, file);
            var top = relative.Split(Path.DirectorySeparatorChar)[0];
            if (top is "bin" or "obj")
            {
                continue;
            }

            var target = Path.Combine(sampleTarget, relative);
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.Copy(file, target, overwrite: true);
        }

        return Path.Combine(sampleTarget, "OrderOutbox.Sample.csproj");
    }

    /// <summary>
    /// The repository's nuget.config (so the machine's default source and its mapping stay as they are) plus the local
    /// folder of packed packages, which alone may serve the OrderOutbox packages.
    /// </summary>
    private void WriteNuGetConfig(string consumer)
    {
        var repositoryConfig = Path.Combine(packages.RepositoryRoot, "nuget.config");
        var document = File.Exists(repositoryConfig) ? XDocument.Load(repositoryConfig) : new XDocument(new XElement("configuration"));
        var configuration = document.Root!;

        var sources = configuration.Element("packageSources") ?? new XElement("packageSources");
        if (sources.Parent is null)
        {
            configuration.AddFirst(sources);
        }

        sources.Add(new XElement("add", new XAttribute("key", LocalSourceKey), new XAttribute("value", packages.PackageFolder)));

        if (configuration.Element("packageSourceMapping") is { } mapping)
        {
            mapping.Add(new XElement(
                "packageSource",
                new XAttribute("key", LocalSourceKey),
                new XElement("package", new XAttribute("pattern", "OrderOutbox")),
                new XElement("package", new XAttribute("pattern", "OrderOutbox.*"))));
        }

        document.Save(Path.Combine(consumer, "nuget.config"));
    }
}
