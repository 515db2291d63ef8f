using System.CommandLine;
using System.Globalization;

namespace OrderOutbox.Cli;

/// <summary><c>orderoutbox stats</c>: counts per status, the backlog and the age of the oldest due record.</summary>
internal static class StatsCommand
{
    public static Command Create(CliApplication app)
    {
        var command = new Command("stats", "Counts per status, the backlog due now, leased records and the age of the oldest due record. SENT is an estimate (n/a on SQLite).");
        command.SetAction(async (parse, cancellationToken) =>
        {
            var (connection, output) = app.Open(parse);
            await using (connection.ConfigureAwait(false))
            {
                OutboxStatistics s = await connection.Admin.GetStatisticsAsync(cancellationToken).ConfigureAwait(false);
                if (output.IsJson)
                {
                    output.WriteJson(new
                    {
                        s.Pending,
                        s.Failed,
                        s.Due,
                        s.Leased,
                        s.DeadLetter,
                        s.SentEstimate,
                        OldestDueAgeSeconds = s.OldestDueAge?.TotalSeconds,
                    });
                }
                else
                {
                    output.WriteTable(
                        ["status", "records"],
                        [
                            ["PENDING", Count(s.Pending)],
                            ["FAILED (retrying)", Count(s.Failed)],
                            ["due now", Count(s.Due)],
                            ["leased now", Count(s.Leased)],
                            ["DEAD_LETTER", Count(s.DeadLetter)],
                            ["SENT (estimate)", s.SentEstimate is { } sent ? "~" + Count(sent) : "n/a"],
                            ["oldest due", s.OldestDueAge is { } age ? Age(age) : "none due"],
                        ]);
                }

                return ExitCodes.Ok;
            }
        });
        return command;
    }

    internal static string Age(TimeSpan age) => age.TotalSeconds < 60
        ? string.Create(CultureInfo.InvariantCulture, $"{age.TotalSeconds:0} s")
        : age.TotalMinutes < 60
            ? string.Create(CultureInfo.InvariantCulture, $"{age.TotalMinutes:0} min")
            : string.Create(CultureInfo.InvariantCulture, $"{age.TotalHours:0.0} h");

    private static string Count(long value) => value.ToString("N0", CultureInfo.InvariantCulture);
}
