using System.CommandLine;
using System.Data.Common;

namespace OrderOutbox.Cli;

/// <summary>
/// The <c>orderoutbox</c> command line: builds the commands, parses, runs, and turns every outcome into an exit code
/// (<see cref="ExitCodes"/>). Output goes to the given writers, so tests run it in-process as well as installed.
/// </summary>
internal sealed class CliApplication
{
    /// <summary>The environment variable read when <c>--connection</c> is not given.</summary>
    public const string ConnectionVariable = "ORDEROUTBOX_CONNECTION";

    private readonly TextWriter _out;
    private readonly TextWriter _error;
    private readonly Func<string, string?> _environment;
    private readonly CommonOptions _common = new();

    public CliApplication(TextWriter output, TextWriter error, Func<string, string?> environment, TimeProvider time)
    {
        _out = output;
        _error = error;
        _environment = environment;
        Time = time;
    }

    public TimeProvider Time { get; }

    public RootCommand BuildRoot()
    {
        var root = new RootCommand(
            "Operate an OrderOutbox transactional outbox from a terminal or a script: statistics, dead letters, replay, purge.\n" +
            $"Connection: --store postgresql|sqlserver|sqlite and --connection \"...\" (or {ConnectionVariable}).\n" +
            "Exit codes: 0 done (also a dry run, or nothing matched); 1 runtime error (database unreachable, missing table, timeout); " +
            "2 bad usage (unknown option, value out of range, missing connection string); 130 interrupted.");
        _common.AddTo(root);
        root.Add(StatsCommand.Create(this));
        var deadLetters = new Command("dead-letters", "List and requeue dead letters (records that exhausted their retries or failed permanently).");
        deadLetters.Add(DeadLetterListCommand.Create(this));
        deadLetters.Add(DeadLetterRequeueCommand.Create(this));
        root.Add(deadLetters);
        root.Add(PurgeCommand.Create(this));
        return root;
    }

    public async Task<int> RunAsync(IReadOnlyList<string> args, CancellationToken cancellationToken = default)
    {
        RootCommand root = BuildRoot();
        ParseResult parse = root.Parse(args);
        if (parse.Errors.Count > 0 && !IsHelpRequest(parse))
        {
            foreach (var error in parse.Errors)
            {
                await _error.WriteLineAsync("error: " + error.Message).ConfigureAwait(false);
            }

            await _error.WriteLineAsync("Run 'orderoutbox --help' (or 'orderoutbox <command> --help') for usage.").ConfigureAwait(false);
            return ExitCodes.Usage;
        }

        var invocation = new InvocationConfiguration { Output = _out, Error = _error, EnableDefaultExceptionHandler = false };
        try
        {
            return await parse.InvokeAsync(invocation, cancellationToken).ConfigureAwait(false);
        }
        catch (CliUsageException e)
        {
            await _error.WriteLineAsync("error: " + e.Message).ConfigureAwait(false);
            return ExitCodes.Usage;
        }
        catch (OperationCanceledException)
        {
            await _error.WriteLineAsync("interrupted: batches already written stay written.").ConfigureAwait(false);
            return ExitCodes.Cancelled;
        }
        catch (Exception e) when (e is DbException or TimeoutException or InvalidOperationException or IOException or System.Net.Sockets.SocketException or AggregateException)
        {
            await _error.WriteLineAsync($"error: {e.GetType().Name}: {e.Message}").ConfigureAwait(false);
            return ExitCodes.RuntimeError;
        }
    }

    /// <summary>Opens the store the common options name, and the output the command writes to.</summary>
    /// <exception cref="CliUsageException">No connection string, or --schema with SQLite.</exception>
    public (AdminConnection Connection, CliOutput Output) Open(ParseResult parse)
    {
        StoreKind kind = StoreKinds.Parse(parse.GetValue(_common.Store))!.Value;
        string? connectionString = parse.GetValue(_common.Connection);
        if (string.IsNullOrWhiteSpace(connectionString))
        {
            connectionString = _environment(ConnectionVariable);
        }

        if (string.IsNullOrWhiteSpace(connectionString))
        {
            throw new CliUsageException($"no connection string: pass --connection \"...\" or set {ConnectionVariable}.");
        }

        string? schema = parse.GetValue(_common.Schema);
        if (schema is not null && kind == StoreKind.Sqlite)
        {
            throw new CliUsageException($"--schema '{schema}': SQLite has no schemas; leave --schema out.");
        }

        AdminConnection connection = AdminConnection.Open(kind, connectionString, schema, parse.GetValue(_common.Table)!);
        return (connection, new CliOutput(_out, _error, parse.GetValue(_common.Json)));
    }

    private static bool IsHelpRequest(ParseResult parse) => parse.Action is System.CommandLine.Help.HelpAction;
}
