using System.CommandLine;

namespace OrderOutbox.Cli;

/// <summary>The options every command takes: where the outbox is, and how to print.</summary>
internal sealed class CommonOptions
{
    public Option<string> Store { get; } = new("--store")
    {
        Description = $"The database: {StoreKinds.Allowed}.",
        Required = true,
        Recursive = true,
        HelpName = "kind",
    };

    public Option<string?> Connection { get; } = new("--connection")
    {
        Description = $"The ADO.NET connection string. Default: the {CliApplication.ConnectionVariable} environment variable (better: it keeps the password out of the shell history). Never printed.",
        Recursive = true,
        HelpName = "string",
    };

    public Option<string?> Schema { get; } = new("--schema")
    {
        Description = "The schema of the outbox table (PostgreSQL default public, SQL Server default dbo; SQLite has none).",
        Recursive = true,
        HelpName = "name",
    };

    public Option<string> Table { get; } = new("--table")
    {
        Description = "The outbox table.",
        Recursive = true,
        DefaultValueFactory = _ => OrderOutbox.Storage.OutboxStoreOptions.DefaultTableName,
        HelpName = "name",
    };

    public Option<bool> Json { get; } = new("--json")
    {
        Description = "Print the result as JSON (for scripts) instead of a table.",
        Recursive = true,
    };

    public CommonOptions()
    {
        Store.Validators.Add(CliInput.RequireStore);
        Schema.Validators.Add(r => CliInput.RequireIdentifier(r, "--schema"));
        Table.Validators.Add(r => CliInput.RequireIdentifier(r, "--table"));
    }

    public void AddTo(RootCommand root)
    {
        root.Add(Store);
        root.Add(Connection);
        root.Add(Schema);
        root.Add(Table);
        root.Add(Json);
    }
}

/// <summary>The options that select dead letters (<c>dead-letters list</c> and <c>dead-letters requeue</c>).</summary>
internal sealed class FilterOptions
{
    public Option<string?> Type { get; } = new("--type") { Description = "Only this message type (exact), for example order.completed.", HelpName = "type" };

    public Option<string?> Aggregate { get; } = new("--aggregate") { Description = "Only this aggregate ID (exact), for example an order ID.", HelpName = "id" };

    public Option<string?> ErrorContains { get; } = new("--error-contains") { Description = "Only records whose last error contains this text (case-sensitive), for example \"HTTP 503\".", HelpName = "text" };

    public Option<DateTimeOffset?> Since { get; } = CliInput.TimeOption("--since", "Only records enqueued at or after this time.");

    public Option<DateTimeOffset?> Until { get; } = CliInput.TimeOption("--until", "Only records enqueued before this time.");

    public Option<DateTimeOffset?> AttemptedSince { get; } = CliInput.TimeOption("--attempted-since", "Only records last attempted at or after this time.");

    public Option<DateTimeOffset?> AttemptedUntil { get; } = CliInput.TimeOption("--attempted-until", "Only records last attempted before this time.");

    public Option<Guid[]> Ids { get; } = new("--id") { Description = "Only these message IDs (repeat the option, up to 10,000).", HelpName = "uuid", AllowMultipleArgumentsPerToken = true };

    public void AddTo(Command command)
    {
        command.Add(Type);
        command.Add(Aggregate);
        command.Add(ErrorContains);
        command.Add(Since);
        command.Add(Until);
        command.Add(AttemptedSince);
        command.Add(AttemptedUntil);
        command.Add(Ids);
    }

    /// <summary>The filter the options describe; <see cref="DeadLetterFilter.Validate"/> checks it (lengths, ranges).</summary>
    /// <exception cref="CliUsageException">The filter is not valid (the message names the field and the allowed range).</exception>
    public DeadLetterFilter Read(ParseResult parse)
    {
        Guid[]? ids = parse.GetValue(Ids);
        var filter = new DeadLetterFilter
        {
            MessageType = parse.GetValue(Type),
            AggregateId = parse.GetValue(Aggregate),
            LastErrorContains = parse.GetValue(ErrorContains),
            CreatedFrom = parse.GetValue(Since),
            CreatedBefore = parse.GetValue(Until),
            LastAttemptFrom = parse.GetValue(AttemptedSince),
            LastAttemptBefore = parse.GetValue(AttemptedUntil),
            Ids = ids is { Length: > 0 } ? ids : null,
        };
        try
        {
            filter.Validate();
        }
        catch (ArgumentException e)
        {
            throw new CliUsageException(e.Message.Replace(" (Parameter 'filter')", string.Empty, StringComparison.Ordinal));
        }

        return filter;
    }
}
