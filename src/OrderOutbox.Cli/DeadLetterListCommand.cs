using System.CommandLine;
using System.Globalization;

namespace OrderOutbox.Cli;

/// <summary><c>orderoutbox dead-letters list</c>: one page of dead letters (keyset paging), optionally filtered.</summary>
internal static class DeadLetterListCommand
{
    public static Command Create(CliApplication app)
    {
        var filter = new FilterOptions();
        Option<int> limit = CliInput.RangeOption("--limit", "How many dead letters to show.", 50, 1, 1000);
        var after = new Option<Guid?>("--after") { Description = "Start after this ID (the last ID of the previous page; the next page's value is printed on stderr).", HelpName = "uuid" };
        var command = new Command("list", "List dead letters with their last error, oldest first, one page at a time.");
        filter.AddTo(command);
        command.Add(limit);
        command.Add(after);
        command.SetAction(async (parse, cancellationToken) =>
        {
            DeadLetterFilter selection = filter.Read(parse);
            int pageSize = parse.GetValue(limit);
            var (connection, output) = app.Open(parse);
            await using (connection.ConfigureAwait(false))
            {
                IReadOnlyList<OutboxMessage> page = await connection.Admin
                    .ListDeadLettersAsync(selection, pageSize, parse.GetValue(after), cancellationToken).ConfigureAwait(false);
                Guid? next = page.Count == pageSize ? page[^1].Id : null;
                if (output.IsJson)
                {
                    output.WriteJson(new
                    {
                        Items = page.Select(m => new { m.Id, m.MessageType, m.AggregateId, m.RetryCount, m.CreatedAt, m.LastAttemptAt, m.RequeuedAt, m.LastError }),
                        Next = next,
                    });
                }
                else
                {
                    output.WriteTable(
                        ["id", "type", "aggregate", "retries", "created", "last attempt", "last error"],
                        page.Select(m => (IReadOnlyList<string?>)
                        [
                            m.Id.ToString(), m.MessageType, m.AggregateId, m.RetryCount.ToString(CultureInfo.InvariantCulture),
                            CliOutput.Time(m.CreatedAt), CliOutput.Time(m.LastAttemptAt), m.LastError,
                        ]));
                    if (next is { } cursor)
                    {
                        output.Progress($"more dead letters: add --after {cursor}");
                    }
                }

                return ExitCodes.Ok;
            }
        });
        return command;
    }
}
