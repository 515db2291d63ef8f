using System.Data.Common;
using System.Globalization;
using Dapper;

namespace OrderOutbox.Sample;

/// <summary>The event the data platform receives, message type <c>order.completed</c>, serialised as camelCase JSON.</summary>
internal sealed record OrderCompleted(
    string OrderId,
    string UserId,
    decimal Amount,
    IReadOnlyList<OrderCompletedItem> Items,
    DateTimeOffset CompletedAt)
{
    public const string MessageType = "order.completed";
}

/// <summary>One line of <see cref="OrderCompleted.Items"/>.</summary>
internal sealed record OrderCompletedItem(string ProductId, int Quantity, decimal UnitPrice);

/// <summary>An order the sample places before completing it (money in cents).</summary>
internal sealed record NewOrder(string Id, string UserId, IReadOnlyList<NewOrderLine> Lines)
{
    public long AmountCents => Lines.Sum(l => l.Quantity * l.UnitPriceCents);

    /// <summary>Makes <paramref name="count"/> orders with IDs unique to this run and seeded contents.</summary>
    public static IReadOnlyList<NewOrder> Generate(int count, int seed, DateTimeOffset now)
    {
#pragma warning disable CA5394 // demo data, not security
        var random = new Random(seed);
        var run = now.ToString("yyMMdd-HHmmss", CultureInfo.InvariantCulture);
        var orders = new List<NewOrder>(count);
        for (int n = 1; n <= count; n++)
        {
            var lines = new List<NewOrderLine>();
            int lineCount = random.Next(1, 4);
            for (int i = 0; i < lineCount; i++)
            {
                lines.Add(new NewOrderLine(
                    string.Create(CultureInfo.InvariantCulture, $"SKU-{random.Next(1000, 1100)}"),
                    random.Next(1, 4),
                    random.Next(5, 120) * 100L + (random.Next(0, 4) * 25)));
            }

            orders.Add(new NewOrder(
                string.Create(CultureInfo.InvariantCulture, $"ORD-{run}-{n:D5}"),
                string.Create(CultureInfo.InvariantCulture, $"user-{random.Next(1, 21):D3}"),
                lines));
        }
#pragma warning restore CA5394

        return orders;
    }
}

/// <summary>One line of a <see cref="NewOrder"/>.</summary>
internal sealed record NewOrderLine(string ProductId, long Quantity, long UnitPriceCents);

/// <summary>
/// The order service: places orders, and completes them. Completing an order updates it and enqueues
/// <see cref="OrderCompleted"/> in the SAME transaction (BR-DATA-01): both commit, or neither does.
/// </summary>
internal sealed class OrderService(SampleDatabase database, IOutboxWriter outbox, TimeProvider time)
{
    private const string InsertOrderSql = """
        INSERT INTO orders (id, user_id, amount_cents, status, created_at)
        VALUES (@Id, @UserId, @AmountCents, 'PLACED', @CreatedAt)
        """;

    private const string InsertItemSql = """
        INSERT INTO order_items (order_id, line_no, product_id, quantity, unit_price_cents)
        VALUES (@OrderId, @LineNo, @ProductId, @Quantity, @UnitPriceCents)
        """;

    private const string CompleteOrderSql = """
        UPDATE orders SET status = 'COMPLETED', completed_at = @CompletedAt
        WHERE id = @Id AND status = 'PLACED'
        """;

    private const string SelectOrderSql = """
        SELECT id AS Id, user_id AS UserId, amount_cents AS AmountCents FROM orders WHERE id = @Id
        """;

    private const string SelectItemsSql = """
        SELECT product_id AS ProductId, quantity AS Quantity, unit_price_cents AS UnitPriceCents
        FROM order_items WHERE order_id = @Id ORDER BY line_no
        """;

    /// <summary>Creates the sample's order tables if they do not exist.</summary>
    public async Task CreateTablesAsync(CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(cancellationToken);
        await connection.ExecuteAsync(new CommandDefinition(database.CreateOrderTablesSql, cancellationToken: cancellationToken));
    }

    /// <summary>Stores <paramref name="orders"/> as PLACED, in one transaction.</summary>
    public async Task PlaceAsync(IReadOnlyList<NewOrder> orders, CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        var createdAt = time.GetUtcNow();
        foreach (var order in orders)
        {
            await connection.ExecuteAsync(new CommandDefinition(
                InsertOrderSql,
                new { order.Id, order.UserId, order.AmountCents, CreatedAt = createdAt },
                transaction,
                cancellationToken: cancellationToken));
            await connection.ExecuteAsync(new CommandDefinition(
                InsertItemSql,
                order.Lines.Select((line, i) => new { OrderId = order.Id, LineNo = i + 1L, line.ProductId, line.Quantity, line.UnitPriceCents }),
                transaction,
                cancellationToken: cancellationToken));
        }

        await transaction.CommitAsync(cancellationToken);
    }

    /// <summary>
    /// Completes an order: marks it COMPLETED and enqueues <see cref="OrderCompleted"/> on the same transaction.
    /// </summary>
    /// <returns>The outbox message ID (the receiver's de-duplication key).</returns>
    public async Task<Guid> CompleteAsync(string orderId, CancellationToken cancellationToken)
    {
        using var span = SampleTelemetry.StartCompletion(orderId); // its trace goes with the record to the data platform
        await using var connection = await OpenAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);

        var completedAt = time.GetUtcNow();
        int changed = await connection.ExecuteAsync(new CommandDefinition(
            CompleteOrderSql, new { Id = orderId, CompletedAt = completedAt }, transaction, cancellationToken: cancellationToken));
        if (changed != 1)
        {
            throw new InvalidOperationException($"Order {orderId} does not exist or is already completed.");
        }

        var order = await connection.QuerySingleAsync<OrderRow>(new CommandDefinition(
            SelectOrderSql, new { Id = orderId }, transaction, cancellationToken: cancellationToken));
        var items = await connection.QueryAsync<ItemRow>(new CommandDefinition(
            SelectItemsSql, new { Id = orderId }, transaction, cancellationToken: cancellationToken));

        var completed = new OrderCompleted(
            order.Id,
            order.UserId,
            Money(order.AmountCents),
            items.Select(i => new OrderCompletedItem(i.ProductId, checked((int)i.Quantity), Money(i.UnitPriceCents))).ToList(),
            completedAt);

        // The outbox record joins the caller's transaction: it is committed (or rolled back) with the order change.
        var messageId = await outbox.EnqueueAsync(
            transaction, OrderCompleted.MessageType, completed, aggregateId: order.Id, cancellationToken: cancellationToken);

        await transaction.CommitAsync(cancellationToken);
        return messageId;
    }

    private static decimal Money(long cents) => cents / 100m;

    private async Task<DbConnection> OpenAsync(CancellationToken cancellationToken)
    {
        var connection = database.CreateConnection();
        try
        {
            await connection.OpenAsync(cancellationToken);
            return connection;
        }
        catch
        {
            await connection.DisposeAsync();
            throw;
        }
    }

    private sealed record OrderRow(string Id, string UserId, long AmountCents);

    private sealed record ItemRow(string ProductId, long Quantity, long UnitPriceCents);
}
