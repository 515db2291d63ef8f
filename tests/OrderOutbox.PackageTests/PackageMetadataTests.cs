using System.IO.Compression;
using System.Reflection.Metadata;
using System.Text.RegularExpressions;
using System.Xml.Linq;
using FluentAssertions;

namespace OrderOutbox.PackageTests;

/// <summary>What a consumer of the packages relies on: readme, XML docs, license, repository and symbols.</summary>
public sealed partial class PackageMetadataTests(PackedPackages packages)
{
    private static readonly string[] TargetFrameworks = ["net8.0", "net10.0"];

    // The PDB custom debug information that holds the Source Link JSON.
    private static readonly Guid SourceLinkKind = new("CC110556-A091-4D38-9FEC-25AB9A351A6A");

    public static TheoryData<string> PackageIds => new(PackedPackages.PackageIds);

    [Theory]
    [MemberData(nameof(PackageIds))]
    public void Package_has_readme_xml_docs_for_each_target_and_an_MIT_license_expression(string id)
    {
        SkipWhenAsked();
        packages.Pack.ExitCode.Should().Be(0, packages.Pack.ToString());

        using var package = ZipFile.OpenRead(packages.PackagePath(id));
        var entries = package.Entries.Select(e => e.FullName).ToList();
        entries.Should().Contain("README.md");
        foreach (var tfm in TargetFrameworks)
        {
            entries.Should().Contain($"lib/{tfm}/{id}.dll");
            entries.Should().Contain($"lib/{tfm}/{id}.xml", "every public member is documented and the docs ship for IntelliSense");
        }

        using (var readme = new StreamReader(package.GetEntry("README.md")!.Open()))
        {
            readme.ReadToEnd().Should().Contain($"# {id}");
        }

        var metadata = Nuspec(package, id);
        Element(metadata, "id").Value.Should().Be(id);
        Element(metadata, "version").Value.Should().Be(packages.Version);
        Element(metadata, "readme").Value.Should().Be("README.md");
        var license = Element(metadata, "license");
        license.Attribute("type")!.Value.Should().Be("expression");
        license.Value.Should().Be("MIT");
        Element(metadata, "description").Value.Should().NotBeNullOrWhiteSpace();
        Element(metadata, "authors").Value.Should().NotBeNullOrWhiteSpace();
    }

    [Fact]
    public void The_health_checks_package_depends_on_the_core_and_the_lowest_health_checks_version_for_net8()
    {
        SkipWhenAsked();
        packages.Pack.ExitCode.Should().Be(0, packages.Pack.ToString());

        using var package = ZipFile.OpenRead(packages.PackagePath("OrderOutbox.HealthChecks"));
        var dependencies = Nuspec(package, "OrderOutbox.HealthChecks").Descendants().Where(e => e.Name.LocalName == "dependency").ToList();
        dependencies.Where(d => d.Attribute("id")!.Value == "OrderOutbox").Should().OnlyContain(d => d.Attribute("version")!.Value == packages.Version);
        dependencies.Where(d => d.Attribute("id")!.Value == "Microsoft.Extensions.Diagnostics.HealthChecks")
            .Should().HaveCount(TargetFrameworks.Length).And.OnlyContain(d => d.Attribute("version")!.Value == "8.0.0");
        dependencies.Select(d => d.Attribute("id")!.Value).Should().NotContain(["Npgsql", "Dapper", "Microsoft.Data.SqlClient", "Microsoft.Data.Sqlite"]);
    }

    [Theory]
    [InlineData("OrderOutbox.PostgreSql")]
    [InlineData("OrderOutbox.SqlServer")]
    [InlineData("OrderOutbox.Sqlite")]
    public void Store_package_depends_on_the_same_core_version_and_ships_its_schema_script(string id)
    {
        SkipWhenAsked();
        packages.Pack.ExitCode.Should().Be(0, packages.Pack.ToString());

        using var package = ZipFile.OpenRead(packages.PackagePath(id));
        package.Entries.Should().Contain(e => e.FullName.StartsWith("content/schema/", StringComparison.Ordinal) && e.FullName.EndsWith(".sql", StringComparison.Ordinal));

        var dependencies = Nuspec(package, id).Descendants().Where(e => e.Name.LocalName == "dependency").ToList();
        dependencies.Where(d => d.Attribute("id")!.Value == "OrderOutbox")
            .Should().HaveCount(TargetFrameworks.Length)
            .And.OnlyContain(d => d.Attribute("version")!.Value == packages.Version);
        dependencies.Select(d => d.Attribute("id")!.Value).Should().Contain("Dapper");
    }

    [Theory]
    [MemberData(nameof(PackageIds))]
    public async Task Package_records_its_repository_and_commit_and_has_a_symbol_package_with_source_link(string id)
    {
        SkipWhenAsked();
        packages.Pack.ExitCode.Should().Be(0, packages.Pack.ToString());

        using var package = ZipFile.OpenRead(packages.PackagePath(id));
        var repository = Element(Nuspec(package, id), "repository");
        (repository.Attribute("type")?.Value).Should().Be("git");
        (repository.Attribute("commit")?.Value).Should().MatchRegex("^[0-9a-f]{40}$");

        using var symbols = ZipFile.OpenRead(packages.PackagePath(id, "snupkg"));
        var remote = await HostedRemoteAsync(packages.RepositoryRoot);
        foreach (var tfm in TargetFrameworks)
        {
            var pdb = symbols.GetEntry($"lib/{tfm}/{id}.pdb");
            pdb.Should().NotBeNull($"the symbol package carries the {tfm} PDB");
            var sourceLink = ReadSourceLink(pdb!);
            if (remote is null)
            {
                // A clone whose origin is a local folder (or no origin at all) has no URL to link sources to;
                // Source Link then embeds nothing, and nothing more can be checked here.
                TestContext.Current.TestOutputHelper?.WriteLine($"{id} {tfm}: no hosted git remote, Source Link not checked");
                continue;
            }

            sourceLink.Should().NotBeNull("the PDB maps its sources to the hosted repository");
            (repository.Attribute("url")?.Value).Should().NotBeNullOrEmpty();
        }
    }

    private static void SkipWhenAsked()
        => Assert.SkipWhen(PackedPackages.Skipped, $"{PackedPackages.SkipVariable}=1 (ignored when CI=true)");

    private static XElement Nuspec(ZipArchive package, string id)
    {
        var entry = package.GetEntry($"{id}.nuspec") ?? throw new InvalidOperationException($"{id}.nuspec is missing.");
        using var stream = entry.Open();
        return XDocument.Load(stream).Root!.Elements().Single(e => e.Name.LocalName == "metadata");
    }

    private static XElement Element(XElement metadata, string name)
        => metadata.Elements().SingleOrDefault(e => e.Name.LocalName == name)
           ?? throw new InvalidOperationException($"<{name}> is missing from the nuspec.");

    private static string? ReadSourceLink(ZipArchiveEntry pdbEntry)
    {
        using var buffer = new MemoryStream();
        using (var stream = pdbEntry.Open())
        {
            stream.CopyTo(buffer);
        }

        buffer.Position = 0;
        using var provider = MetadataReaderProvider.FromPortablePdbStream(buffer);
        var reader = provider.GetMetadataReader();
        foreach (var handle in reader.CustomDebugInformation)
        {
            var information = reader.GetCustomDebugInformation(handle);
            if (reader.GetGuid(information.Kind) == SourceLinkKind)
            {
                return System.Text.Encoding.UTF8.GetString(reader.GetBlobBytes(information.Value));
            }
        }

        return null;
    }

    /// <summary>The origin's URL when it is a hosted (http/https/ssh) remote; null for a local path or no remote.</summary>
    private static async Task<string?> HostedRemoteAsync(string repositoryRoot)
    {
        try
        {
            var result = await DotNetCli.RunAsync("git", repositoryRoot, ["remote", "get-url", "origin"], TestContext.Current.CancellationToken);
            var url = result.StandardOutput.Trim();
            return result.ExitCode == 0 && HostedUrl().IsMatch(url) ? url : null;
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return null; // no git on the PATH
        }
    }

    [GeneratedRegex(@"^(https?://|ssh://|git@)", RegexOptions.CultureInvariant)]
    private static partial Regex HostedUrl();
}
