using Microsoft.Extensions.Logging;

namespace OrderOutbox.Tests.EndToEnd;

/// <summary>
/// Records the host's log: everything from <c>OrderOutbox.*</c> categories at Debug and above (the engine logs each
/// outcome after it is stored, and each finished cycle), Warning and above from anything else. Tests wait on it to know
/// that a record's outcome has reached the store, or that the dispatcher finished an idle cycle.
/// </summary>
internal sealed class EndToEndLogs : ILoggerProvider
{
    /// <summary><c>OutboxProcessor</c>: a record was delivered and its <c>SENT</c> outcome stored.</summary>
    public const int SentEventId = 1101;

    /// <summary><c>OutboxProcessor</c>: a failure was stored as <c>FAILED</c>.</summary>
    public const int FailedEventId = 1102;

    /// <summary><c>OutboxProcessor</c>: a record was stored as <c>DEAD_LETTER</c>.</summary>
    public const int DeadLetteredEventId = 1103;

    /// <summary><c>OutboxProcessor</c>: a cycle finished, with the number of records it attempted.</summary>
    public const int CycleCompletedEventId = 1110;

    public ObservedList<LogEntry> Entries { get; } = new();

    public ILogger CreateLogger(string categoryName) => new Logger(this, categoryName);

    public void Dispose()
    {
    }

    /// <summary>Waits for an entry matching <paramref name="match"/>.</summary>
    public async Task<LogEntry> WaitForAsync(Func<LogEntry, bool> match, TimeSpan timeout, string what, CancellationToken cancellationToken)
    {
        IReadOnlyList<LogEntry> seen = await Entries.WaitForAsync(
            entries => entries.Any(match), timeout, what, Describe, cancellationToken);
        return seen.First(match);
    }

    /// <summary>Waits until the engine has stored the outcome <paramref name="eventId"/> for <paramref name="messageId"/>.</summary>
    public Task<LogEntry> WaitForOutcomeAsync(int eventId, Guid messageId, TimeSpan timeout, CancellationToken cancellationToken)
        => WaitForAsync(
            e => e.EventId == eventId && e.Get("MessageId") is Guid id && id == messageId,
            timeout,
            $"outcome event {eventId} of message {messageId}",
            cancellationToken);

    /// <summary>The warnings and errors logged so far.</summary>
    public IReadOnlyList<LogEntry> Problems() => Entries.Snapshot().Where(e => e.Level >= LogLevel.Warning).ToList();

    private static string Describe(IReadOnlyList<LogEntry> entries)
        => $"{entries.Count} log entries; the last ones: " +
           string.Join(" | ", entries.TakeLast(8).Select(e => $"[{e.Level} {e.EventId}] {e.Message}"));

    private sealed class Logger(EndToEndLogs owner, string category) : ILogger
    {
        private readonly bool _ours = category.StartsWith("OrderOutbox", StringComparison.Ordinal);

        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel >= (_ours ? LogLevel.Debug : LogLevel.Warning);

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (!IsEnabled(logLevel))
            {
                return;
            }

            var values = state is IEnumerable<KeyValuePair<string, object?>> pairs
                ? pairs.GroupBy(p => p.Key, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.Last().Value, StringComparer.Ordinal)
                : new Dictionary<string, object?>(StringComparer.Ordinal);
            owner.Entries.Add(new LogEntry(category, logLevel, eventId.Id, formatter(state, exception), values, exception));
        }
    }
}

/// <summary>One recorded log entry.</summary>
internal sealed record LogEntry(
    string Category, LogLevel Level, int EventId, string Message, IReadOnlyDictionary<string, object?> Values, Exception? Exception)
{
    public object? Get(string name) => Values.GetValueOrDefault(name);

    public override string ToString() => $"[{Level} {EventId} {Category}] {Message}{(Exception is null ? string.Empty : " — " + Exception.GetType().Name + ": " + Exception.Message)}";
}
