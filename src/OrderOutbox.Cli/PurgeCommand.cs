using System.CommandLine;
using System.Globalization;

namespace OrderOutbox.Cli;

/// <summary><c>orderoutbox purge --sent-before …</c>: deletes delivered history in bounded batches, with a heartbeat on stderr.</summary>
internal static class PurgeCommand
{
    /// <summary>How often a running purge reports that it is still at work.</summary>
    public static readonly TimeSpan HeartbeatInterval = TimeSpan.FromSeconds(5);

    public static Command Create(CliApplication app)
    {
        Option<DateTimeOffset?> sentBefore = CliInput.TimeOption("--sent-before", "Delete SENT records delivered before this time (not later than now).");
        sentBefore.Required = true;
        Option<int> batchSize = CliInput.RangeOption("--batch-size", "Rows per DELETE statement.", 1000, 1, OrderOutbox.Storage.OutboxLimits.MaxPurgeBatchSize);
        var command = new Command("purge", "Delete SENT records delivered before a date, in bounded batches (never one long DELETE). Other statuses are never touched.");
        command.Add(sentBefore);
        command.Add(batchSize);
        command.SetAction(async (parse, cancellationToken) =>
        {
            DateTimeOffset before = parse.GetValue(sentBefore)!.Value;
            DateTimeOffset now = app.Time.GetUtcNow();
            if (before > now)
            {
                throw new CliUsageException(string.Create(CultureInfo.InvariantCulture, $"--sent-before {before:O}: must not be later than now ({now:O})."));
            }

            var (connection, output) = app.Open(parse);
            await using (connection.ConfigureAwait(false))
            {
                long started = app.Time.GetTimestamp();
                using var heartbeat = app.Time.CreateTimer(
                    _ => output.Progress(string.Create(CultureInfo.InvariantCulture, $"purging SENT records delivered before {CliOutput.Time(before)}… {app.Time.GetElapsedTime(started).TotalSeconds:0} s")),
                    null,
                    HeartbeatInterval,
                    HeartbeatInterval);
                long deleted = await connection.Admin.PurgeSentAsync(before, parse.GetValue(batchSize), cancellationToken).ConfigureAwait(false);
                if (output.IsJson)
                {
                    output.WriteJson(new { Deleted = deleted, SentBefore = before });
                }
                else
                {
                    output.Out.WriteLine(string.Create(CultureInfo.InvariantCulture, $"deleted {deleted:N0} SENT records delivered before {CliOutput.Time(before)}."));
                }

                return ExitCodes.Ok;
            }
        });
        return command;
    }
}
