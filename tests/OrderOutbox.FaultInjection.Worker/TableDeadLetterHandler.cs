using Npgsql;

namespace OrderOutbox.FaultInjection.Worker;

/// <summary>
/// The dead-letter hook of the fault-injection worker: records every call in <c>&lt;schema&gt;.fault_dead_letter_hook</c>
/// (created by the test), so the test can prove the hook fires exactly once per dead letter, across processes.
/// </summary>
internal sealed class TableDeadLetterHandler(NpgsqlDataSource dataSource, WorkerSettings settings) : IDeadLetterHandler
{
    private readonly string _insertSql =
        $"""
        insert into "{settings.Schema}".fault_dead_letter_hook (message_id, status, retry_count, last_error, pid)
        values (@id, @status, @retry_count, @last_error, @pid)
        """;

    public async Task OnDeadLetteredAsync(OutboxMessage message, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(message);
        await using var command = dataSource.CreateCommand(_insertSql);
        command.Parameters.AddWithValue("id", message.Id);
        command.Parameters.AddWithValue("status", OutboxStatusText.ToText(message.Status));
        command.Parameters.AddWithValue("retry_count", message.RetryCount);
        command.Parameters.AddWithValue("last_error", (object?)message.LastError ?? DBNull.Value);
        command.Parameters.AddWithValue("pid", Environment.ProcessId);
        await command.ExecuteNonQueryAsync(cancellationToken);
    }
}
