using FluentAssertions;
using OrderOutbox.Cli;

namespace OrderOutbox.Operations.Tests.Cli;

/// <summary>The command line in-process: usage errors (exit code 2, the option and the value named) before any database is touched, help, and the table renderer.</summary>
public sealed class CliApplicationTests
{
    [Theory]
    [InlineData("stats --store oracle --connection x", "--store 'oracle': must be postgresql, sqlserver or sqlite.")]
    [InlineData("stats --connection x", "Option '--store' is required.")]
    [InlineData("frobnicate --store sqlite --connection x", "frobnicate")]
    [InlineData("dead-letters list --store sqlite --connection x --limit 1001", "--limit 1001: must be from 1 to 1,000.")]
    [InlineData("dead-letters list --store sqlite --connection x --after nope", "nope")]
    [InlineData("dead-letters requeue --store sqlite --connection x --since 2026-13-01 --dry-run", "--since '2026-13-01': not a date and time")]
    [InlineData("dead-letters requeue --store sqlite --connection x --since 2026-05-01 --until 2026-04-01", "DeadLetterFilter.CreatedFrom (2026-05-01T00:00:00.0000000+00:00) must be earlier than DeadLetterFilter.CreatedBefore")]
    [InlineData("dead-letters requeue --store sqlite --connection x --type order.completed --all", "--all: cannot be combined with a filter option")]
    [InlineData("dead-letters requeue --store sqlite --connection x --batch-size 0 --all", "--batch-size 0: must be from 1 to 2,000.")]
    [InlineData("purge --store sqlite --connection x", "Option '--sent-before' is required.")]
    [InlineData("stats --store sqlite --connection x --schema main", "--schema 'main': SQLite has no schemas")]
    [InlineData("stats --store sqlite --connection x --table 1bad", "--table '1bad': must match ^[A-Za-z_][A-Za-z0-9_]{0,62}$")]
    [InlineData("stats --store sqlite", "no connection string")]
    public async Task Bad_usage_exits_with_2_and_says_what_is_wrong(string arguments, string message)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        var app = new CliApplication(output, error, _ => null, TimeProvider.System);

        int exitCode = await app.RunAsync(arguments.Split(' '));

        exitCode.Should().Be(ExitCodes.Usage, error.ToString());
        error.ToString().Should().Contain(message);
        output.ToString().Should().BeEmpty();
    }

    [Fact]
    public async Task Help_lists_the_commands_and_the_exit_codes()
    {
        var output = new StringWriter();
        var app = new CliApplication(output, new StringWriter(), _ => null, TimeProvider.System);

        int exitCode = await app.RunAsync(["--help"]);

        exitCode.Should().Be(ExitCodes.Ok);
        output.ToString().Should().Contain("stats").And.Contain("dead-letters").And.Contain("purge").And.Contain("Exit codes: 0").And.Contain("ORDEROUTBOX_CONNECTION");
    }

    [Fact]
    public void A_table_aligns_columns_and_keeps_each_cell_on_one_line()
    {
        string table = TextTable.Render(["id", "error"], [["1", "HTTP 503\r\nbody"], ["22", null], ["3", new string('x', 100)]]);

        table.Should().Be(
            "id  error\n" +
            "--  " + new string('-', 80) + "\n" +
            "1   HTTP 503  body\n" +
            "22  -\n" +
            "3   " + new string('x', 79) + "…\n");
    }
}
