using Microsoft.Extensions.Logging;

namespace OrderOutbox.Sqlite;

internal sealed partial class SqliteSchemaInitializer
{
    [LoggerMessage(EventId = 2301, EventName = "SqliteSchemaEnsured", Level = LogLevel.Information,
        Message = "Outbox schema ensured: SQLite table {Table} and its indexes exist")]
    private static partial void LogSchemaEnsured(ILogger logger, string table);
}
