using Npgsql;
using NpgsqlTypes;

namespace OrderOutbox.Benchmarks.Infrastructure;

/// <summary>PostgreSQL plumbing of the harness: the database, the orders table, the raw-baseline table, seeding.</summary>
internal static class Pg
{
    public const int OrderCount = 10_000;

    public static async Task EnsureDatabaseAsync(string connectionString)
    {
        var csb = new NpgsqlConnectionStringBuilder(connectionString);
        var database = csb.Database ?? "outbox_bench";
        csb.Database = "postgres";
        await using var conn = new NpgsqlConnection(csb.ConnectionString);
        await conn.OpenAsync();
        await using var check = new NpgsqlCommand("select 1 from pg_database where datname = $1", conn) { Parameters = { new() { Value = database } } };
        if (await check.ExecuteScalarAsync() is null)
        {
            await using var create = new NpgsqlCommand($"create database \"{database.Replace("\"", "\"\"", StringComparison.Ordinal)}\"", conn);
            await create.ExecuteNonQueryAsync();
        }
    }

    public static async Task<string> VersionAsync(NpgsqlDataSource ds) => (string)(await ScalarAsync(ds, "show server_version"))!;

    public static async Task<object?> ScalarAsync(NpgsqlDataSource ds, string sql)
    {
        await using var cmd = ds.CreateCommand(sql);
        return await cmd.ExecuteScalarAsync();
    }

    /// <summary>Runs SQL; a script that contains VACUUM (which cannot run in a multi-statement batch) is run statement by statement.</summary>
    public static async Task ExecAsync(NpgsqlDataSource ds, string sql)
    {
        var parts = sql.Contains("vacuum", StringComparison.OrdinalIgnoreCase)
            ? sql.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            : [sql];
        foreach (var part in parts)
        {
            await using var cmd = ds.CreateCommand(part);
            cmd.CommandTimeout = 900;
            await cmd.ExecuteNonQueryAsync();
        }
    }

    /// <summary>Creates the schema and the orders table (10,000 orders) the writers update.</summary>
    public static async Task EnsureOrdersAsync(NpgsqlDataSource ds, string schema)
    {
        await ExecAsync(ds, $"""
            create schema if not exists {schema};
            create table if not exists {schema}.orders (
              id bigint primary key,
              user_id text not null,
              status text not null,
              amount numeric(12,2) not null,
              updated_at timestamptz not null,
              version int not null);
            """);
        var count = (long)(await ScalarAsync(ds, $"select count(*) from {schema}.orders"))!;
        if (count < OrderCount)
        {
            await ExecAsync(ds, $"""
                truncate {schema}.orders;
                insert into {schema}.orders select g, 'user-' || g, 'OPEN', 10 + g % 90, now(), 0 from generate_series(1, {OrderCount}) g;
                vacuum analyze {schema}.orders;
                """);
        }
    }

    /// <summary>The table of the "plain claim-and-update" baseline: the shape DESIGN.md gives, with the partial due index.</summary>
    public static async Task EnsureRawOutboxAsync(NpgsqlDataSource ds, string schema, string table)
    {
        await ExecAsync(ds, $"""
            create table if not exists {schema}.{table} (
              id uuid primary key,
              message_type text not null,
              aggregate_id text null,
              payload text not null,
              headers text null,
              status text not null default 'PENDING' check (status in ('PENDING','SENT','FAILED','DEAD_LETTER')),
              retry_count int not null default 0,
              next_attempt_at timestamptz not null,
              last_attempt_at timestamptz null,
              sent_at timestamptz null,
              last_error text null,
              created_at timestamptz not null,
              locked_until timestamptz null,
              locked_by text null);
            create index if not exists {table}_due on {schema}.{table} (next_attempt_at) where status in ('PENDING','FAILED');
            """);
    }

    /// <summary>Empties the raw table and COPYs <paramref name="count"/> PENDING records into it, then vacuums and analyses.</summary>
    public static async Task SeedRawOutboxAsync(NpgsqlDataSource ds, string schema, string table, int count, string[] payloads)
    {
        await ExecAsync(ds, $"truncate {schema}.{table}");
        await using (var conn = await ds.OpenConnectionAsync())
        {
            var baseTime = DateTimeOffset.UtcNow.AddHours(-1);
            await using var importer = await conn.BeginBinaryImportAsync(
                $"copy {schema}.{table} (id, message_type, aggregate_id, payload, status, retry_count, next_attempt_at, created_at) from stdin (format binary)");
            for (var i = 0; i < count; i++)
            {
                var t = baseTime.AddTicks(i * 10L);
                await importer.StartRowAsync();
                await importer.WriteAsync(MessageId.NewId(t), NpgsqlDbType.Uuid);
                await importer.WriteAsync(Payloads.MessageType, NpgsqlDbType.Text);
                await importer.WriteAsync("order-" + i.ToString(System.Globalization.CultureInfo.InvariantCulture), NpgsqlDbType.Text);
                await importer.WriteAsync(payloads[i % payloads.Length], NpgsqlDbType.Text);
                await importer.WriteAsync("PENDING", NpgsqlDbType.Text);
                await importer.WriteAsync(0, NpgsqlDbType.Integer);
                await importer.WriteAsync(t.UtcDateTime, NpgsqlDbType.TimestampTz);
                await importer.WriteAsync(t.UtcDateTime, NpgsqlDbType.TimestampTz);
            }

            await importer.CompleteAsync();
        }

        await ExecAsync(ds, $"vacuum analyze {schema}.{table}");
    }

    /// <summary>Transaction counters of the current database (commits + rollbacks), from pg_stat_database.</summary>
    public static async Task<long> TransactionsAsync(NpgsqlDataSource ds)
    {
        // Each autocommit statement is its own transaction, so the statistics snapshot is fresh.
        return (long)(await ScalarAsync(ds, "select xact_commit + xact_rollback from pg_stat_database where datname = current_database()"))!;
    }
}
