using Microsoft.Extensions.Logging;

namespace OrderOutbox.SqlServer;

internal sealed partial class SqlServerSchemaInitializer
{
    [LoggerMessage(EventId = 2401, EventName = "SqlServerSchemaEnsured", Level = LogLevel.Information,
        Message = "Outbox schema ensured: SQL Server table {Table} and its indexes exist")]
    private static partial void LogSchemaEnsured(ILogger logger, string table);
}
