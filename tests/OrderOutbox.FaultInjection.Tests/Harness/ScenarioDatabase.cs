using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using OrderOutbox.Storage;

namespace OrderOutbox.FaultInjection.Tests.Harness;

/// <summary>
/// One scenario's schema on the fault-injection cluster (dropped and re-created, so scenarios never share state):
/// the outbox table (through the store's <c>EnsureSchemaAsync</c>), an <c>orders</c> table written in the same
/// transactions, and the table the workers' dead-letter hook writes to. Also the writer and admin services of an
/// in-process outbox that does not dispatch.
/// </summary>
internal sealed class ScenarioDatabase : IAsyncDisposable
{
    private readonly ServiceProvider _services;

    private ScenarioDatabase(string connectionString, string schema, ServiceProvider services, NpgsqlDataSource dataSource)
    {
        ConnectionString = connectionString;
        Schema = schema;
        _services = services;
        DataSource = dataSource;
    }

    public string ConnectionString { get; }

    public string Schema { get; }

    public NpgsqlDataSource DataSource { get; }

    public IOutboxWriter Writer => _services.GetRequiredService<IOutboxWriter>();

    public IOutboxAdmin Admin => _services.GetRequiredService<IOutboxAdmin>();

    private string Outbox => $"\"{Schema}\".{OutboxStoreOptions.DefaultTableName}";

    public static async Task<ScenarioDatabase> CreateAsync(string connectionString, string schema, CancellationToken cancellationToken)
    {
        SqlIdentifier.Validate(schema, nameof(schema));
        var dataSource = NpgsqlDataSource.Create(connectionString);
        await using (var command = dataSource.CreateCommand(
            $"""
            drop schema if exists "{schema}" cascade;
            create schema "{schema}";
            create table "{schema}".orders (
                order_no bigint primary key,
                order_id uuid not null,
                message_id uuid not null unique,
                poison boolean not null,
                created_at timestamptz not null default clock_timestamp());
            create table "{schema}".fault_dead_letter_hook (
                seq bigserial primary key,
                message_id uuid not null,
                status text not null,
                retry_count int not null,
                last_error text,
                pid int not null,
                at timestamptz not null default clock_timestamp());
            """))
        {
            await command.ExecuteNonQueryAsync(cancellationToken);
        }

        var services = new ServiceCollection();
        services.AddLogging();
        services
            .AddOrderOutbox(o => o.RunDispatcher = false)
            .UsePostgreSql(connectionString, pg => pg.Schema = schema);
        var provider = services.BuildServiceProvider();
        await provider.GetRequiredService<IOutboxStore>().EnsureSchemaAsync(cancellationToken);
        return new ScenarioDatabase(connectionString, schema, provider, dataSource);
    }

    /// <summary>The orders whose transaction committed: the ground truth of "committed".</summary>
    public async Task<IReadOnlyDictionary<Guid, CommittedOrder>> ReadCommittedAsync(CancellationToken cancellationToken)
    {
        var result = new Dictionary<Guid, CommittedOrder>();
        await WithRetryAsync(async () =>
        {
            result.Clear();
            await using var command = DataSource.CreateCommand($"""select message_id, order_no, poison from "{Schema}".orders""");
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                var id = reader.GetGuid(0);
                result[id] = new CommittedOrder(id, reader.GetInt64(1), reader.GetBoolean(2));
            }
        }, cancellationToken);
        return result;
    }

    /// <summary>Every outbox row with the columns the scenarios judge.</summary>
    public async Task<IReadOnlyDictionary<Guid, OutboxRow>> ReadOutboxAsync(CancellationToken cancellationToken)
    {
        var result = new Dictionary<Guid, OutboxRow>();
        await WithRetryAsync(async () =>
        {
            result.Clear();
            await using var command = DataSource.CreateCommand(
                $"""
                select id, status, retry_count, locked_by, locked_until, locked_until > now() as leased
                from {Outbox}
                """);
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                var id = reader.GetGuid(0);
                result[id] = new OutboxRow(
                    id,
                    reader.GetString(1),
                    reader.GetInt32(2),
                    reader.IsDBNull(3) ? null : reader.GetString(3),
                    !reader.IsDBNull(5) && reader.GetBoolean(5));
            }
        }, cancellationToken);
        return result;
    }

    /// <summary>The number of rows still <c>PENDING</c> or <c>FAILED</c>.</summary>
    public async Task<long> CountUnfinishedAsync(CancellationToken cancellationToken)
    {
        long count = 0;
        await WithRetryAsync(async () =>
        {
            await using var command = DataSource.CreateCommand($"select count(*) from {Outbox} where status in ('PENDING', 'FAILED')");
            count = (long)(await command.ExecuteScalarAsync(cancellationToken))!;
        }, cancellationToken);
        return count;
    }

    /// <summary>The IDs of unfinished rows whose lease is held by an instance (lease tokens start with the instance ID).</summary>
    public async Task<IReadOnlyList<Guid>> ReadHeldByAsync(string instanceId, CancellationToken cancellationToken)
    {
        var ids = new List<Guid>();
        await WithRetryAsync(async () =>
        {
            ids.Clear();
            await using var command = DataSource.CreateCommand(
                $"select id from {Outbox} where status in ('PENDING', 'FAILED') and locked_by like @prefix");
            command.Parameters.AddWithValue("prefix", instanceId.Replace("_", "\\_", StringComparison.Ordinal) + "%");
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                ids.Add(reader.GetGuid(0));
            }
        }, cancellationToken);
        return ids;
    }

    /// <summary>The calls of the workers' dead-letter hook, per message ID.</summary>
    public async Task<IReadOnlyDictionary<Guid, List<(string Status, int RetryCount)>>> ReadHookCallsAsync(CancellationToken cancellationToken)
    {
        var result = new Dictionary<Guid, List<(string, int)>>();
        await WithRetryAsync(async () =>
        {
            result.Clear();
            await using var command = DataSource.CreateCommand($"""select message_id, status, retry_count from "{Schema}".fault_dead_letter_hook""");
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                var id = reader.GetGuid(0);
                if (!result.TryGetValue(id, out var calls))
                {
                    result[id] = calls = [];
                }

                calls.Add((reader.GetString(1), reader.GetInt32(2)));
            }
        }, cancellationToken);
        return result;
    }

    public async Task<long> CountRowsAsync(CancellationToken cancellationToken)
    {
        await using var command = DataSource.CreateCommand($"select count(*) from {Outbox}");
        return (long)(await command.ExecuteScalarAsync(cancellationToken))!;
    }

    public async ValueTask DisposeAsync()
    {
        await _services.DisposeAsync();
        await DataSource.DisposeAsync();
    }

    /// <summary>Runs a read again while the database comes back from a restart.</summary>
    private static async Task WithRetryAsync(Func<Task> action, CancellationToken cancellationToken)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                await action();
                return;
            }
            catch (Exception e) when (attempt < 30 && e is NpgsqlException or InvalidOperationException or IOException or TimeoutException)
            {
                await Task.Delay(TimeSpan.FromMilliseconds(500), cancellationToken);
            }
        }
    }
}

internal sealed record CommittedOrder(Guid MessageId, long OrderNo, bool Poison);

internal sealed record OutboxRow(Guid Id, string Status, int RetryCount, string? LockedBy, bool Leased);
