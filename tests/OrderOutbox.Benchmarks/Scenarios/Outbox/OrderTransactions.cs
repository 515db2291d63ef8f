using System.Data.Common;
using System.Diagnostics;
using System.Globalization;
using Microsoft.Data.Sqlite;
using Npgsql;
using OrderOutbox.Benchmarks.Infrastructure;

namespace OrderOutbox.Benchmarks.Scenarios;

/// <summary>
/// The business transaction of the benchmarks: open a pooled connection, begin, update one order row,
/// optionally <see cref="IOutboxWriter.EnqueueAsync{T}(DbTransaction, string, T, string?, CancellationToken)"/>, commit.
/// </summary>
internal static class OrderTransactions
{
    public static string PgUpdateSql(string schema) =>
        $"update {schema}.orders set status = 'COMPLETED', amount = $2, updated_at = now(), version = version + 1 where id = $1";

    public const string SqliteUpdateSql = "update orders set status = 'COMPLETED', amount = $amount, updated_at = $now, version = version + 1 where id = $id";

    /// <summary>Runs one order transaction on PostgreSQL; returns (start, commit-returned) Stopwatch timestamps and the message ID.</summary>
    public static async Task<(long Start, long BeforeCommit, long Committed, Guid Id)> PostgresAsync(
        NpgsqlDataSource ds, string updateSql, IOutboxWriter? writer, int order, OrderCompleted payload)
    {
        var start = Stopwatch.GetTimestamp();
        await using var conn = await ds.OpenConnectionAsync();
        await using var tx = await conn.BeginTransactionAsync();
        await using (var cmd = new NpgsqlCommand(updateSql, conn, tx))
        {
            cmd.Parameters.Add(new NpgsqlParameter<long> { TypedValue = order % Pg.OrderCount + 1 });
            cmd.Parameters.Add(new NpgsqlParameter<decimal> { TypedValue = payload.Amount });
            await cmd.ExecuteNonQueryAsync();
        }

        var id = Guid.Empty;
        if (writer is not null)
        {
            id = await writer.EnqueueAsync(tx, Payloads.MessageType, payload, payload.OrderId.ToString());
        }

        var beforeCommit = Stopwatch.GetTimestamp();
        await tx.CommitAsync();
        return (start, beforeCommit, Stopwatch.GetTimestamp(), id);
    }

    public static async Task EnsureSqliteOrdersAsync(string connectionString)
    {
        await using var conn = new SqliteConnection(connectionString);
        await conn.OpenAsync();
        await using var cmd = conn.CreateCommand();
        cmd.CommandText = """
            pragma journal_mode = wal;
            create table if not exists orders (id integer primary key, user_id text not null, status text not null, amount real not null, updated_at text not null, version integer not null);
            """;
        await cmd.ExecuteNonQueryAsync();
        cmd.CommandText = "select count(*) from orders";
        if ((long)(await cmd.ExecuteScalarAsync())! < Pg.OrderCount)
        {
            await using var tx = (SqliteTransaction)await conn.BeginTransactionAsync();
            cmd.Transaction = tx;
            cmd.CommandText = "delete from orders";
            await cmd.ExecuteNonQueryAsync();
            cmd.CommandText = "insert into orders values ($id, $user, 'OPEN', 10, '2026-01-01', 0)";
            var id = cmd.Parameters.Add("$id", SqliteType.Integer);
            var user = cmd.Parameters.Add("$user", SqliteType.Text);
            for (var i = 1; i <= Pg.OrderCount; i++)
            {
                id.Value = i;
                user.Value = "user-" + i.ToString(CultureInfo.InvariantCulture);
                await cmd.ExecuteNonQueryAsync();
            }

            await tx.CommitAsync();
        }
    }

    public static async Task<(long Start, long Committed)> SqliteAsync(string connectionString, IOutboxWriter? writer, int order, OrderCompleted payload)
    {
        var start = Stopwatch.GetTimestamp();
        await using var conn = new SqliteConnection(connectionString);
        await conn.OpenAsync();
        await using var tx = await conn.BeginTransactionAsync();
        await using (var cmd = conn.CreateCommand())
        {
            cmd.Transaction = (SqliteTransaction)tx;
            cmd.CommandText = SqliteUpdateSql;
            cmd.Parameters.AddWithValue("$amount", (double)payload.Amount);
            cmd.Parameters.AddWithValue("$now", "2026-01-15T12:00:00Z");
            cmd.Parameters.AddWithValue("$id", order % Pg.OrderCount + 1);
            await cmd.ExecuteNonQueryAsync();
        }

        if (writer is not null)
        {
            await writer.EnqueueAsync(tx, Payloads.MessageType, payload, payload.OrderId.ToString());
        }

        await tx.CommitAsync();
        return (start, Stopwatch.GetTimestamp());
    }
}
