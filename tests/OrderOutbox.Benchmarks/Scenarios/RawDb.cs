using System.Diagnostics;
using Npgsql;
using NpgsqlTypes;

namespace OrderOutbox.Benchmarks.Scenarios;

/// <summary>
/// The database limit: plain claim-and-update on a table of the outbox's shape (partial due index), no HTTP.
/// Each worker loops: claim a batch (<c>FOR UPDATE SKIP LOCKED</c>, lease it, return the rows with their payloads),
/// then mark the batch SENT in one statement (<c>id = any(@ids)</c>, fenced by the lease owner). Two round trips
/// per batch, unprepared statements (as Dapper sends them).
/// </summary>
internal static class RawDb
{
    /// <summary>The rows the last run completed.</summary>
    public static long LastDone { get; private set; }

    public static async Task<double> RunAsync(NpgsqlDataSource ds, string schema, string table, int expected, int batchSize, int workers, TimeSpan limit)
    {
        var deadline = Stopwatch.GetTimestamp() + (long)(limit.TotalSeconds * Stopwatch.Frequency);
        var claimSql = $"""
            with due as (
              select id from {schema}.{table}
              where status in ('PENDING','FAILED') and next_attempt_at <= $1 and (locked_until is null or locked_until <= $1)
              order by next_attempt_at
              limit $2
              for update skip locked)
            update {schema}.{table} o set locked_until = $3, locked_by = $4
            from due where o.id = due.id
            returning o.id, o.message_type, o.aggregate_id, o.payload, o.headers, o.retry_count, o.created_at
            """;
        var completeSql = $"""
            update {schema}.{table} set status = 'SENT', sent_at = $1, last_attempt_at = $1, locked_until = null, locked_by = null
            where id = any($2) and locked_by = $3
            """;
        long done = 0;
        var sw = Stopwatch.StartNew();
        var tasks = new Task[workers];
        for (var w = 0; w < workers; w++)
        {
            var worker = w;
            tasks[w] = Task.Run(async () =>
            {
                await using var conn = await ds.OpenConnectionAsync();
                var seq = 0;
                var ids = new List<Guid>(batchSize);
                long payloadChars = 0;
                while (Stopwatch.GetTimestamp() < deadline)
                {
                    var owner = $"raw-{worker}-{seq++}";
                    var now = DateTime.UtcNow;
                    ids.Clear();
                    await using (var claim = new NpgsqlCommand(claimSql, conn))
                    {
                        claim.Parameters.Add(new NpgsqlParameter<DateTime> { TypedValue = now, NpgsqlDbType = NpgsqlDbType.TimestampTz });
                        claim.Parameters.Add(new NpgsqlParameter<int> { TypedValue = batchSize });
                        claim.Parameters.Add(new NpgsqlParameter<DateTime> { TypedValue = now.AddMinutes(5), NpgsqlDbType = NpgsqlDbType.TimestampTz });
                        claim.Parameters.Add(new NpgsqlParameter<string> { TypedValue = owner });
                        await using var reader = await claim.ExecuteReaderAsync();
                        while (await reader.ReadAsync())
                        {
                            ids.Add(reader.GetGuid(0));
                            payloadChars += reader.GetString(3).Length;
                        }
                    }

                    if (ids.Count == 0)
                    {
                        break;
                    }

                    await using (var complete = new NpgsqlCommand(completeSql, conn))
                    {
                        complete.Parameters.Add(new NpgsqlParameter<DateTime> { TypedValue = DateTime.UtcNow, NpgsqlDbType = NpgsqlDbType.TimestampTz });
                        complete.Parameters.Add(new NpgsqlParameter<Guid[]> { TypedValue = [.. ids] });
                        complete.Parameters.Add(new NpgsqlParameter<string> { TypedValue = owner });
                        var n = await complete.ExecuteNonQueryAsync();
                        Interlocked.Add(ref done, n);
                    }
                }

                GC.KeepAlive(payloadChars);
            });
        }

        await Task.WhenAll(tasks);
        var elapsed = sw.Elapsed.TotalSeconds;
        if (done > expected || (done < expected && Stopwatch.GetTimestamp() < deadline))
        {
            throw new InvalidOperationException($"raw claim-and-update completed {done} rows, expected {expected}");
        }

        LastDone = done;
        return done / elapsed;
    }
}
