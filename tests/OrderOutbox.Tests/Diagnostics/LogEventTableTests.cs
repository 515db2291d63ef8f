using System.Text.RegularExpressions;
using FluentAssertions;
using Xunit;

namespace OrderOutbox.Tests.Diagnostics;

/// <summary>README's table of log events says what the code logs: every EventId in src/ with its level, and nothing else.</summary>
public sealed partial class LogEventTableTests
{
    [Fact]
    public void Every_log_event_in_src_is_in_the_READMEs_table_with_its_level_and_the_table_has_no_other()
    {
        string root = RepositoryRoot();
        Dictionary<int, string> inCode = [];
        foreach (string file in Directory.EnumerateFiles(Path.Combine(root, "src"), "*.cs", SearchOption.AllDirectories))
        {
            if (file.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}", StringComparison.Ordinal)
                || file.Contains($"{Path.DirectorySeparatorChar}bin{Path.DirectorySeparatorChar}", StringComparison.Ordinal))
            {
                continue;
            }

            foreach (Match m in LoggerMessage().Matches(File.ReadAllText(file)))
            {
                int id = int.Parse(m.Groups["id"].Value, System.Globalization.CultureInfo.InvariantCulture);
                inCode.TryAdd(id, m.Groups["level"].Value).Should().BeTrue($"EventId {id} is used once in src/ (found again in {Path.GetFileName(file)})");
            }
        }

        Dictionary<int, string> inReadme = [];
        foreach (Match m in TableRow().Matches(File.ReadAllText(Path.Combine(root, "README.md"))))
        {
            inReadme[int.Parse(m.Groups["id"].Value, System.Globalization.CultureInfo.InvariantCulture)] = m.Groups["level"].Value;
        }

        inCode.Should().HaveCountGreaterThan(40, "the pattern finds the [LoggerMessage] attributes");
        inReadme.Should().BeEquivalentTo(inCode, "README.md's log-event table lists every EventId in src/ with its level (| 1001 | Information | … |)");
    }

    private static string RepositoryRoot()
    {
        for (DirectoryInfo? dir = new(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "OrderOutbox.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException("OrderOutbox.sln not found above " + AppContext.BaseDirectory);
    }

    [GeneratedRegex(@"LoggerMessage\(\s*EventId\s*=\s*(?<id>\d+)[^\]]*?Level\s*=\s*LogLevel\.(?<level>\w+)", RegexOptions.Singleline)]
    private static partial Regex LoggerMessage();

    [GeneratedRegex(@"^\| (?<id>\d{4}) \| (?<level>Trace|Debug|Information|Warning|Error|Critical) \|", RegexOptions.Multiline)]
    private static partial Regex TableRow();
}
