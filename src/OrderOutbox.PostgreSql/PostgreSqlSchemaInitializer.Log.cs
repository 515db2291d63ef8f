using Microsoft.Extensions.Logging;

namespace OrderOutbox.PostgreSql;

internal sealed partial class PostgreSqlSchemaInitializer
{
    [LoggerMessage(EventId = 2110, EventName = "PostgreSqlSchemaEnsured", Level = LogLevel.Information,
        Message = "The outbox table {Schema}.{Table} and its indexes exist")]
    private partial void LogSchemaEnsured(string schema, string table);
}
