using FluentAssertions;
using Xunit;

namespace OrderOutbox.QuickStart.Tests;

/// <summary>The README's quick start is the quick-start sample's code, character for character.</summary>
public sealed class ReadmeQuickStartTests
{
    /// <summary>The line in README.md right before the code block that must equal <c>Program.cs</c>.</summary>
    public const string Marker = "<!-- samples/OrderOutbox.QuickStart/Program.cs -->";

    [Fact]
    public void The_READMEs_quick_start_equals_the_samples_Program_cs()
    {
        string root = Path.GetFullPath(QuickStartTests.Metadata("RepositoryRoot"));
        string program = File.ReadAllText(Path.Combine(root, "samples", "OrderOutbox.QuickStart", "Program.cs")).ReplaceLineEndings("\n");
        string[] readme = File.ReadAllText(Path.Combine(root, "README.md")).ReplaceLineEndings("\n").Split('\n');

        int marker = Array.IndexOf(readme, Marker);
        marker.Should().BeGreaterThan(-1, $"README.md marks its quick-start code with {Marker}");
        readme[marker + 1].Should().Be("```csharp");
        int end = Array.IndexOf(readme, "```", marker + 2);
        string block = string.Join('\n', readme[(marker + 2)..end]) + "\n";

        block.Should().Be(program);
    }
}
