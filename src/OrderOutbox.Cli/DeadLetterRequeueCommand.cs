using System.CommandLine;
using System.Globalization;

namespace OrderOutbox.Cli;

/// <summary>
/// <c>orderoutbox dead-letters requeue</c>: replays the dead letters that match a filter (or <c>--all</c>) in bounded
/// batches, with progress on stderr; <c>--dry-run</c> only counts them.
/// </summary>
internal static class DeadLetterRequeueCommand
{
    public static Command Create(CliApplication app)
    {
        var filter = new FilterOptions();
        var all = new Option<bool>("--all") { Description = "Requeue every dead letter (required when no filter option is given; not combinable with one)." };
        var dryRun = new Option<bool>("--dry-run") { Description = "Only count the matching dead letters; change nothing." };
        Option<int> batchSize = CliInput.RangeOption("--batch-size", "Records per batch (each batch one short transaction).", DeadLetterFilter.DefaultBatchSize, 1, DeadLetterFilter.MaxBatchSize);
        var command = new Command("requeue", "Move matching dead letters back to PENDING (retry count 0, due now) so the dispatcher sends them again.");
        filter.AddTo(command);
        command.Add(all);
        command.Add(dryRun);
        command.Add(batchSize);
        command.SetAction(async (parse, cancellationToken) =>
        {
            DeadLetterFilter selection = filter.Read(parse);
            bool everything = parse.GetValue(all);
            if (selection == DeadLetterFilter.All && !everything)
            {
                throw new CliUsageException("dead-letters requeue: no filter given; name one (--type, --aggregate, --error-contains, --since, --until, --attempted-since, --attempted-until, --id) or pass --all to requeue every dead letter.");
            }

            if (selection != DeadLetterFilter.All && everything)
            {
                throw new CliUsageException("--all: cannot be combined with a filter option; leave out --all to requeue only the matching dead letters.");
            }

            var (connection, output) = app.Open(parse);
            await using (connection.ConfigureAwait(false))
            {
                long matching = await connection.Admin.CountDeadLettersAsync(selection, cancellationToken).ConfigureAwait(false);
                if (parse.GetValue(dryRun))
                {
                    Report(output, dryRun: true, matching, requeued: 0);
                    return ExitCodes.Ok;
                }

                var progress = new RequeueProgress(output, matching);
                long requeued = await connection.Admin.RequeueDeadLettersAsync(selection, parse.GetValue(batchSize), progress, cancellationToken).ConfigureAwait(false);
                Report(output, dryRun: false, matching, requeued);
                return ExitCodes.Ok;
            }
        });
        return command;
    }

    private static void Report(CliOutput output, bool dryRun, long matching, long requeued)
    {
        if (output.IsJson)
        {
            output.WriteJson(new { DryRun = dryRun, Matching = matching, Requeued = requeued });
        }
        else
        {
            output.Out.WriteLine(dryRun
                ? string.Create(CultureInfo.InvariantCulture, $"{matching:N0} dead letters match (dry run: nothing changed).")
                : string.Create(CultureInfo.InvariantCulture, $"requeued {requeued:N0} dead letters ({matching:N0} matched before the replay)."));
        }
    }

    /// <summary>Prints the running total on stderr after each batch (synchronously, in order).</summary>
    private sealed class RequeueProgress(CliOutput output, long expected) : IProgress<long>
    {
        public void Report(long value) => output.Progress(string.Create(CultureInfo.InvariantCulture, $"requeued {value:N0} of ~{expected:N0}"));
    }
}
