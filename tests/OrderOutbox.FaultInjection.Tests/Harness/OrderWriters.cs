using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text.Json;
using Npgsql;

namespace OrderOutbox.FaultInjection.Tests.Harness;

/// <summary>The payload of the scenarios (camelCase on the wire: <c>orderNo</c>, <c>poison</c>, …).</summary>
internal sealed record OrderCompleted(Guid OrderId, long OrderNo, string UserId, decimal Amount, IReadOnlyList<OrderLine> Items, bool Poison);

internal sealed record OrderLine(string Sku, int Quantity, decimal Price);

/// <summary>How many orders, by how many concurrent writers, with which share rolled back or poisoned.</summary>
internal sealed record WriteLoad
{
    public required int Orders { get; init; }

    public int Writers { get; init; } = 4;

    public double RollbackRate { get; init; } = 0.10;

    public double PoisonRate { get; init; }

    public int Seed { get; init; } = 7;

    /// <summary>A pause after each order, to spread the writes over the scenario.</summary>
    public TimeSpan PauseAfterEach { get; init; }
}

/// <summary>What the writers did: rolled-back message IDs, errors (database down), the expected body hash per message.</summary>
internal sealed record WriteSummary(
    int Attempted,
    IReadOnlySet<Guid> RolledBack,
    int Errors,
    IReadOnlyDictionary<Guid, string> ExpectedSha256,
    TimeSpan Elapsed);

/// <summary>
/// Concurrent writers that each, in one real PostgreSQL transaction, enqueue an <c>order.completed</c> record and insert
/// the order row — then commit, or roll back a seeded share of them. A failed transaction (database restarting) is
/// counted and the writer goes on with the next order; the <c>orders</c> table says what committed.
/// </summary>
internal static class OrderWriters
{
    private static readonly JsonSerializerOptions Web = new(JsonSerializerDefaults.Web);

    public static async Task<WriteSummary> RunAsync(ScenarioDatabase db, WriteLoad load, CancellationToken cancellationToken)
    {
        var next = 0L;
        var errors = 0;
        var rolledBack = new ConcurrentDictionary<Guid, byte>();
        var expected = new ConcurrentDictionary<Guid, string>();
        var plan = new FaultPlan { Seed = load.Seed };
        var started = System.Diagnostics.Stopwatch.StartNew();
        var insertSql = $"""insert into "{db.Schema}".orders (order_no, order_id, message_id, poison) values (@no, @order, @message, @poison)""";

        async Task WriteAsync()
        {
            while (true)
            {
                var orderNo = Interlocked.Increment(ref next);
                if (orderNo > load.Orders)
                {
                    return;
                }

                var rollback = plan.Draw(orderNo, 0, salt: 10) < load.RollbackRate;
                var poison = plan.Draw(orderNo, 0, salt: 11) < load.PoisonRate;
                var order = new OrderCompleted(
                    Guid.NewGuid(),
                    orderNo,
                    $"user-{orderNo % 97}",
                    10m + (orderNo % 1000) / 10m,
                    [new OrderLine($"sku-{orderNo % 13}", 1 + (int)(orderNo % 3), 9.99m), new OrderLine("sku-gift", 1, 0m)],
                    poison);
                try
                {
                    await using var connection = await db.DataSource.OpenConnectionAsync(cancellationToken);
                    await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
                    var id = await db.Writer.EnqueueAsync(transaction, "order.completed", order, orderNo.ToString(System.Globalization.CultureInfo.InvariantCulture), cancellationToken);
                    expected[id] = Convert.ToHexStringLower(SHA256.HashData(JsonSerializer.SerializeToUtf8Bytes(order, Web)));
                    await using (var insert = new NpgsqlCommand(insertSql, connection, transaction))
                    {
                        insert.Parameters.AddWithValue("no", orderNo);
                        insert.Parameters.AddWithValue("order", order.OrderId);
                        insert.Parameters.AddWithValue("message", id);
                        insert.Parameters.AddWithValue("poison", poison);
                        await insert.ExecuteNonQueryAsync(cancellationToken);
                    }

                    if (rollback)
                    {
                        await transaction.RollbackAsync(cancellationToken);
                        rolledBack[id] = 0;
                    }
                    else
                    {
                        await transaction.CommitAsync(cancellationToken);
                    }
                }
                catch (Exception e) when (!cancellationToken.IsCancellationRequested && e is NpgsqlException or IOException or TimeoutException or InvalidOperationException)
                {
                    // The database is restarting: whether this one committed is unknown; the orders table will say.
                    Interlocked.Increment(ref errors);
                    await Task.Delay(TimeSpan.FromMilliseconds(200), cancellationToken);
                }

                if (load.PauseAfterEach > TimeSpan.Zero)
                {
                    await Task.Delay(load.PauseAfterEach, cancellationToken);
                }
            }
        }

        await Task.WhenAll(Enumerable.Range(0, load.Writers).Select(_ => Task.Run(WriteAsync, cancellationToken)));
        return new WriteSummary(load.Orders, new HashSet<Guid>(rolledBack.Keys), errors, expected, started.Elapsed);
    }
}
