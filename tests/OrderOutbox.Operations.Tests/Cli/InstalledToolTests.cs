using System.Text.Json;
using FluentAssertions;
using OrderOutbox.Operations.Tests.Support;
using OrderOutbox.PackageTests;

namespace OrderOutbox.Operations.Tests.Cli;

/// <summary>
/// The packed <c>orderoutbox</c> tool, installed into a temporary tool path, run as a process against a real database:
/// statistics, paging, replay by filter (dry run first, rows on both sides of every bound, progress per batch), purge
/// (rows on both sides of the date), table and JSON output, exit codes, and a connection string that is never printed.
/// </summary>
[Collection(PackedToolCollection.Name)]
public abstract class InstalledToolTests<TDatabase> : IClassFixture<TDatabase>
    where TDatabase : class, ITestDatabase
{
    private static readonly DateTimeOffset T = new(2026, 3, 1, 0, 0, 0, TimeSpan.Zero);
    private static readonly DateTimeOffset PurgeDate = new(2026, 4, 1, 0, 0, 0, TimeSpan.Zero);

    private readonly TDatabase _database;
    private readonly PackedTool _tool;

    protected InstalledToolTests(TDatabase database, PackedTool tool)
    {
        _database = database;
        _tool = tool;
    }

    private sealed record Seeded(string Table, IOutboxAdmin Admin, SeedRecord BeforeSince, SeedRecord AtSince, SeedRecord Inside, SeedRecord OtherType, SeedRecord AtUntil, SeedRecord SentLater, SeedRecord Pending, SeedRecord SentBeforePurge, SeedRecord SentAtPurge);

    [Fact]
    public async Task Stats_prints_the_counts_as_JSON_and_as_a_table()
    {
        Seeded s = await SeedAsync();

        ProcessResult json = await RunAsync(s, "stats", "--json");
        ProcessResult table = await RunAsync(s, "stats");

        json.ExitCode.Should().Be(0, json.ToString());
        JsonElement stats = JsonDocument.Parse(json.StandardOutput).RootElement;
        stats.GetProperty("deadLetter").GetInt64().Should().Be(5);
        stats.GetProperty("pending").GetInt64().Should().Be(1);
        stats.GetProperty("failed").GetInt64().Should().Be(0);
        stats.GetProperty("due").GetInt64().Should().Be(1);
        table.ExitCode.Should().Be(0, table.ToString());
        table.StandardOutput.Should().MatchRegex(@"(?m)^DEAD_LETTER\s+5$").And.MatchRegex(@"(?m)^status\s+records$");
    }

    [Fact]
    public async Task Dead_letters_list_pages_with_the_cursor_and_filters_by_type()
    {
        Seeded s = await SeedAsync();

        ProcessResult first = await RunAsync(s, "dead-letters", "list", "--type", "order.completed", "--limit", "2", "--json");
        JsonElement page1 = JsonDocument.Parse(first.StandardOutput).RootElement;
        string next = page1.GetProperty("next").GetString()!;
        ProcessResult second = await RunAsync(s, "dead-letters", "list", "--type", "order.completed", "--limit", "2", "--after", next, "--json");
        ProcessResult table = await RunAsync(s, "dead-letters", "list", "--limit", "2");

        first.ExitCode.Should().Be(0, first.ToString());
        JsonElement page2 = JsonDocument.Parse(second.StandardOutput).RootElement;
        string[] ids = [.. Ids(page1), .. Ids(page2)];
        ids.Should().BeEquivalentTo([s.BeforeSince.Id.ToString(), s.AtSince.Id.ToString(), s.Inside.Id.ToString(), s.AtUntil.Id.ToString()]);
        page1.GetProperty("items")[0].GetProperty("lastError").GetString().Should().Be("HTTP 503 Service Unavailable");
        table.StandardOutput.Should().MatchRegex(@"^id\s+type\s+aggregate\s+retries\s+created\s+last attempt\s+last error\n").And.Contain("HTTP 503 Service Unavailable");
        table.StandardError.Should().Contain("more dead letters: add --after ");
    }

    [Fact]
    public async Task Requeue_by_filter_counts_first_then_touches_only_the_rows_inside_every_bound_with_progress_per_batch()
    {
        Seeded s = await SeedAsync();
        string[] filter = ["--type", "order.completed", "--since", "2026-03-01T00:00:00Z", "--until", "2026-03-01T02:00:00Z"];

        ProcessResult dryRun = await RunAsync(s, ["dead-letters", "requeue", .. filter, "--dry-run", "--json"]);
        dryRun.ExitCode.Should().Be(0, dryRun.ToString());
        JsonDocument.Parse(dryRun.StandardOutput).RootElement.GetProperty("matching").GetInt64().Should().Be(2);
        (await s.Admin.GetStatisticsAsync()).DeadLetter.Should().Be(5, "a dry run changes nothing");

        ProcessResult replay = await RunAsync(s, ["dead-letters", "requeue", .. filter, "--batch-size", "1"]);

        replay.ExitCode.Should().Be(0, replay.ToString());
        replay.StandardOutput.Should().Contain("requeued 2 dead letters (2 matched before the replay).");
        replay.StandardError.Should().Contain("requeued 1 of ~2").And.Contain("requeued 2 of ~2");
        (await StatusAsync(s, s.AtSince)).Should().Be(OutboxStatus.Pending, "--since is inclusive");
        (await StatusAsync(s, s.Inside)).Should().Be(OutboxStatus.Pending);
        (await s.Admin.GetAsync(s.Inside.Id))!.RequeuedAt.Should().NotBeNull();
        (await StatusAsync(s, s.BeforeSince)).Should().Be(OutboxStatus.DeadLetter, "it was created 1 ms before --since");
        (await StatusAsync(s, s.AtUntil)).Should().Be(OutboxStatus.DeadLetter, "--until is exclusive");
        (await StatusAsync(s, s.OtherType)).Should().Be(OutboxStatus.DeadLetter, "its type is outside the filter");
        (await StatusAsync(s, s.SentLater)).Should().Be(OutboxStatus.Sent);
    }

    [Fact]
    public async Task Requeue_without_a_filter_needs_all()
    {
        Seeded s = await SeedAsync();

        ProcessResult refused = await RunAsync(s, "dead-letters", "requeue");
        ProcessResult all = await RunAsync(s, "dead-letters", "requeue", "--all", "--json");

        refused.ExitCode.Should().Be(2, refused.ToString());
        refused.StandardError.Should().Contain("no filter given").And.Contain("--all");
        all.ExitCode.Should().Be(0, all.ToString());
        JsonDocument.Parse(all.StandardOutput).RootElement.GetProperty("requeued").GetInt64().Should().Be(5);
    }

    [Fact]
    public async Task Purge_deletes_only_SENT_records_delivered_before_the_date()
    {
        Seeded s = await SeedAsync();

        ProcessResult future = await RunAsync(s, "purge", "--sent-before", "2999-01-01T00:00:00Z");
        ProcessResult purge = await RunAsync(s, "purge", "--sent-before", "2026-04-01T00:00:00Z", "--json");

        future.ExitCode.Should().Be(2, future.ToString());
        future.StandardError.Should().Contain("--sent-before 2999-01-01T00:00:00.0000000+00:00: must not be later than now");
        purge.ExitCode.Should().Be(0, purge.ToString());
        JsonDocument.Parse(purge.StandardOutput).RootElement.GetProperty("deleted").GetInt64().Should().Be(1);
        (await s.Admin.GetAsync(s.SentBeforePurge.Id)).Should().BeNull("it was delivered 1 ms before the date");
        (await StatusAsync(s, s.SentAtPurge)).Should().Be(OutboxStatus.Sent, "--sent-before is exclusive");
        (await StatusAsync(s, s.SentLater)).Should().Be(OutboxStatus.Sent);
        (await StatusAsync(s, s.BeforeSince)).Should().Be(OutboxStatus.DeadLetter, "a purge never touches a dead letter");
        (await StatusAsync(s, s.Pending)).Should().Be(OutboxStatus.Pending);
    }

    [Fact]
    public async Task The_connection_string_is_read_from_the_environment_and_never_printed()
    {
        const string secret = "S3cret-never-printed";
        Seeded s = await SeedAsync();

        ProcessResult fromEnvironment = await _tool.RunAsync(StoreArguments(s, "stats", "--json"), _database.ConnectionString);
        ProcessResult broken = await _tool.RunAsync(StoreArguments(s, "stats"), BrokenConnectionString(secret));
        ProcessResult missing = await _tool.RunAsync(StoreArguments(s, "stats"));

        fromEnvironment.ExitCode.Should().Be(0, fromEnvironment.ToString());
        broken.ExitCode.Should().Be(1, broken.ToString());
        broken.StandardError.Should().StartWith("error: ");
        (broken.StandardOutput + broken.StandardError).Should().NotContain(secret);
        missing.ExitCode.Should().Be(2, missing.ToString());
        missing.StandardError.Should().Contain("no connection string: pass --connection \"...\" or set ORDEROUTBOX_CONNECTION.");
    }

    [Theory]
    [InlineData("dead-letters list --limit 0", "--limit 0: must be from 1 to 1,000.")]
    [InlineData("dead-letters requeue --since tomorrow --dry-run", "--since 'tomorrow': not a date and time")]
    [InlineData("dead-letters requeue --batch-size 2001 --all", "--batch-size 2001: must be from 1 to 2,000.")]
    [InlineData("stats --table x;drop", "--table 'x;drop': must match")]
    public async Task Bad_usage_exits_with_2_and_names_the_option_and_the_value(string arguments, string message)
    {
        Seeded s = await SeedAsync();

        ProcessResult result = await RunAsync(s, arguments.Split(' '));

        result.ExitCode.Should().Be(2, result.ToString());
        result.StandardError.Should().Contain(message);
        (await s.Admin.GetStatisticsAsync()).DeadLetter.Should().Be(5);
    }

    /// <summary>A connection string that fails to connect and carries <paramref name="secret"/> as its password.</summary>
    protected abstract string BrokenConnectionString(string secret);

    private static IEnumerable<string> Ids(JsonElement page) => page.GetProperty("items").EnumerateArray().Select(i => i.GetProperty("id").GetString()!);

    private static async Task<OutboxStatus?> StatusAsync(Seeded s, SeedRecord record) => (await s.Admin.GetAsync(record.Id))?.Status;

    private Task<ProcessResult> RunAsync(Seeded s, params string[] arguments)
        => _tool.RunAsync([.. StoreArguments(s, arguments), "--connection", _database.ConnectionString]);

    private string[] StoreArguments(Seeded s, params string[] arguments)
    {
        var all = new List<string>(arguments) { "--store", _database.StoreName };
        if (!arguments.Contains("--table"))
        {
            all.AddRange(["--table", s.Table]);
        }

        if (_database.Schema is { } schema)
        {
            all.AddRange(["--schema", schema]);
        }

        return [.. all];
    }

    private async Task<Seeded> SeedAsync()
    {
        const string completed = "order.completed";
        var beforeSince = new SeedRecord(completed, T.AddMilliseconds(-1), OutboxStatus.DeadLetter);
        var atSince = new SeedRecord(completed, T, OutboxStatus.DeadLetter);
        var inside = new SeedRecord(completed, T.AddHours(1), OutboxStatus.DeadLetter);
        var otherType = new SeedRecord("order.cancelled", T.AddHours(1), OutboxStatus.DeadLetter);
        var atUntil = new SeedRecord(completed, T.AddHours(2), OutboxStatus.DeadLetter);
        var sentLater = new SeedRecord(completed, T.AddHours(1), OutboxStatus.Sent, AttemptedAt: PurgeDate.AddDays(1));
        var pending = new SeedRecord(completed, T.AddHours(3), OutboxStatus.Pending);
        var sentBeforePurge = new SeedRecord(completed, T, OutboxStatus.Sent, AttemptedAt: PurgeDate.AddMilliseconds(-1));
        var sentAtPurge = new SeedRecord(completed, T, OutboxStatus.Sent, AttemptedAt: PurgeDate);
        string table = "cli_" + Guid.NewGuid().ToString("N")[..10];
        IOutboxAdmin admin = await OutboxSeeder.SeedAsync(_database, table, [beforeSince, atSince, inside, otherType, atUntil, sentLater, pending, sentBeforePurge, sentAtPurge]);
        return new Seeded(table, admin, beforeSince, atSince, inside, otherType, atUntil, sentLater, pending, sentBeforePurge, sentAtPurge);
    }
}

public sealed class SqliteInstalledToolTests(SqliteTestDatabase database, PackedTool tool) : InstalledToolTests<SqliteTestDatabase>(database, tool)
{
    protected override string BrokenConnectionString(string secret) => $"Data Source=/nonexistent-orderoutbox-dir/outbox.db;Mode=ReadOnly;Password={secret}";
}

public sealed class PostgreSqlInstalledToolTests(PostgreSqlTestDatabase database, PackedTool tool) : InstalledToolTests<PostgreSqlTestDatabase>(database, tool)
{
    protected override string BrokenConnectionString(string secret)
        => new Npgsql.NpgsqlConnectionStringBuilder(Environment.GetEnvironmentVariable(PostgreSqlTestDatabase.EnvironmentVariable)) { Password = secret, Timeout = 5 }.ConnectionString;
}
