using System.Globalization;
using Spectre.Console;
using Spectre.Console.Rendering;

namespace OrderOutbox.Sample;

/// <summary>
/// The console: a live table of the outbox's counts per status (and the fake platform's counters) on an interactive
/// terminal; plain lines when the output is redirected (CI logs, files, pipes); a summary table at the end.
/// </summary>
internal sealed class ProgressView
{
    private static readonly TimeSpan PlainLineEvery = TimeSpan.FromSeconds(5);
    private string? _lastPlainLine;
    private TimeSpan _lastPlainAt = TimeSpan.MinValue;
    private int _alertsPrinted;

    private ProgressView(bool live) => IsLive = live;

    /// <summary>Whether the view redraws a live table (interactive terminal) rather than printing lines.</summary>
    public bool IsLive { get; }

    public static ProgressView Create()
    {
        bool live = !Console.IsOutputRedirected && AnsiConsole.Profile.Capabilities.Interactive && AnsiConsole.Profile.Capabilities.Ansi;
        if (Console.IsOutputRedirected)
        {
            AnsiConsole.Profile.Width = 120; // logs and pipes have no width; Spectre's default of 80 wraps the intro
        }

        return new ProgressView(live);
    }

    public void Intro(IEnumerable<(string Label, string Value)> lines)
    {
        if (!IsLive)
        {
            Console.WriteLine("OrderOutbox sample - completing orders and delivering order.completed through the outbox");
            foreach (var (label, value) in lines)
            {
                Console.WriteLine($"  {label,-9} {value}");
            }

            Console.WriteLine();
            return;
        }

        AnsiConsole.MarkupLine("[bold]OrderOutbox sample[/] — completing orders and delivering [blue]order.completed[/] through the outbox");
        var grid = new Grid().AddColumn(new GridColumn().NoWrap().PadRight(2)).AddColumn();
        foreach (var (label, value) in lines)
        {
            grid.AddRow(new Text(label, new Style(Color.Grey)), new Text(value));
        }

        AnsiConsole.Write(grid);
        AnsiConsole.WriteLine();
    }

    /// <summary>Runs <paramref name="body"/>, giving it a callback that shows each snapshot.</summary>
    public async Task<T> RunAsync<T>(Func<Action<ProgressSnapshot>, Task<T>> body)
    {
        if (!IsLive)
        {
            return await body(ShowPlain);
        }

        return await AnsiConsole.Live(new Text("starting..."))
            .AutoClear(false)
            .Overflow(VerticalOverflow.Ellipsis)
            .StartAsync(async context => await body(snapshot =>
            {
                context.UpdateTarget(Render(snapshot));
                context.Refresh();
            }));
    }

    public static void Summary(RunReport report)
    {
        var table = new Table()
            .Title("[bold]Summary[/]")
            .AddColumn("")
            .AddColumn(new TableColumn("").RightAligned());
        table.ShowHeaders = false;
        table.AddRow("Orders completed", $"{report.OrdersCompleted} of {report.OrdersRequested}");
        table.AddRow("Delivered (SENT)", Count(report.Delivered));
        table.AddRow("  of which after a retry", Count(report.DeliveredAfterRetry));
        table.AddRow("Dead-lettered", Count(report.DeadLettered));
        table.AddRow("  rejected by the receiver (4xx)", Count(report.RejectedByReceiver));
        table.AddRow("  gave up after all retries", Count(report.GaveUpAfterRetries));
        table.AddRow("Not finished (PENDING/FAILED)", Count(report.NotFinished));
        table.AddRow("Duplicates seen by the receiver", report.Receiver is null ? "n/a (external receiver)" : Count(report.Receiver.Duplicates));
        table.AddRow("Requests in their order's trace (traceparent)", report.Receiver is null ? "n/a (external receiver)" : $"{Count(report.Receiver.Traced)} of {Count(report.Receiver.Requests)}");
        table.AddRow("Elapsed", Elapsed(report.Elapsed));
        AnsiConsole.WriteLine();
        AnsiConsole.Write(table);

        foreach (var deadLetter in report.DeadLetters.Take(5))
        {
            AnsiConsole.MarkupLineInterpolated(CultureInfo.InvariantCulture, $"[yellow]dead letter[/] {deadLetter}");
        }

        if (report.DeadLetters.Count > 5)
        {
            AnsiConsole.MarkupLineInterpolated(CultureInfo.InvariantCulture, $"[yellow]... and {report.DeadLetters.Count - 5} more dead letters[/]");
        }

        if (report.Success)
        {
            AnsiConsole.MarkupLine("[green]OK[/]: every order was delivered or deliberately dead-lettered.");
        }
        else
        {
            AnsiConsole.MarkupLineInterpolated(
                CultureInfo.InvariantCulture,
                $"[red]NOT OK[/]: {(report.Interrupted ? "interrupted; " : string.Empty)}{report.NotFinished} not finished, {report.GaveUpAfterRetries} gave up after all retries, {report.OrdersRequested - report.OrdersCompleted} orders not completed.");
        }
    }

    private void ShowPlain(ProgressSnapshot s)
    {
        var alerts = s.Alerts;
        for (; _alertsPrinted < alerts.Count; _alertsPrinted++)
        {
            Console.WriteLine($"[{Elapsed(s.Elapsed),7}] ALERT {alerts[_alertsPrinted]}");
        }

        var line = string.Create(
            CultureInfo.InvariantCulture,
            $"orders {s.OrdersCompleted}/{s.OrdersTotal} | PENDING {s.Outbox.Pending}  FAILED {s.Outbox.Failed}  SENT {s.SentThisRun}  DEAD_LETTER {s.DeadLettersThisRun}  (leased {s.Outbox.Leased})");
        if (s.Receiver is { } r)
        {
            line += string.Create(
                CultureInfo.InvariantCulture,
                $" | receiver: {r.Requests} requests, {r.Unavailable}x503, {r.SlowAnswers} slow, {r.Rejected}x400, {r.Duplicates} duplicates, {r.Traced} in the order's trace");
        }

        if (line != _lastPlainLine || s.Drained || s.Elapsed - _lastPlainAt >= PlainLineEvery)
        {
            Console.WriteLine($"[{Elapsed(s.Elapsed),7}] {line}");
            _lastPlainLine = line;
            _lastPlainAt = s.Elapsed;
        }
    }

    private static Rows Render(ProgressSnapshot s)
    {
        var outbox = new Table().Title("Outbox").AddColumn("Status").AddColumn(new TableColumn("Records").RightAligned());
        outbox.AddRow(new Markup("[blue]PENDING[/]"), new Text(Count(s.Outbox.Pending)));
        outbox.AddRow(new Markup("[yellow]FAILED[/] (waiting for a retry)"), new Text(Count(s.Outbox.Failed)));
        outbox.AddRow(new Markup("[green]SENT[/]"), new Text(Count(s.SentThisRun)));
        outbox.AddRow(new Markup("[red]DEAD_LETTER[/]"), new Text(Count(s.DeadLettersThisRun)));
        outbox.AddRow(new Markup("[grey]leased right now[/]"), new Text(Count(s.Outbox.Leased)));
        outbox.AddRow(new Markup("[grey]oldest due for[/]"), new Text(s.Outbox.OldestDueAge is { } age ? Elapsed(age) : "-"));

        IRenderable right;
        if (s.Receiver is { } r)
        {
            var receiver = new Table().Title("Fake data platform").AddColumn("Answer").AddColumn(new TableColumn("Count").RightAligned());
            receiver.AddRow("requests", Count(r.Requests));
            receiver.AddRow("stored (distinct messages)", Count(r.Stored));
            receiver.AddRow("503 Service Unavailable", Count(r.Unavailable));
            receiver.AddRow("slow answer (timed out)", Count(r.SlowAnswers));
            receiver.AddRow("400 Bad Request", Count(r.Rejected));
            receiver.AddRow("duplicates (same Idempotency-Key)", Count(r.Duplicates));
            receiver.AddRow("traceparent in the order's trace", Count(r.Traced));
            right = receiver;
        }
        else
        {
            right = new Text("delivering to an external receiver");
        }

        var header = new Markup(string.Create(
            CultureInfo.InvariantCulture,
            $"[bold]Orders completed[/] {s.OrdersCompleted}/{s.OrdersTotal}    [grey]elapsed {Elapsed(s.Elapsed)}{(s.Drained ? "  — drained" : string.Empty)}[/]"));
        var rows = new List<IRenderable> { header, new Grid().AddColumn().AddColumn().AddRow(outbox, right) };
        if (s.Receiver?.LastTraceParent is { } traceParent)
        {
            rows.Add(new Markup($"[grey]last traceparent[/] {Markup.Escape(traceParent)}"));
        }

        foreach (var alert in s.Alerts.TakeLast(3))
        {
            rows.Add(new Markup($"[yellow]ALERT[/] {Markup.Escape(alert)}"));
        }

        return new Rows(rows);
    }

    private static string Count(long value) => value.ToString("N0", CultureInfo.InvariantCulture);

    private static string Elapsed(TimeSpan value) => value.TotalSeconds.ToString("0.0", CultureInfo.InvariantCulture) + "s";
}
