// OrderOutbox quick start: complete an order and enqueue its event in ONE transaction; the outbox delivers it.
//   dotnet run --project samples/OrderOutbox.QuickStart
//   curl -X POST http://localhost:5000/orders/42/complete
using Dapper;
using Microsoft.Data.Sqlite;
using OrderOutbox;

var builder = WebApplication.CreateBuilder(new WebApplicationOptions { Args = args, ContentRootPath = AppContext.BaseDirectory });
string orders = builder.Configuration.GetConnectionString("Orders")!; // SQLite by default (appsettings.json)

builder.Services
    .AddOrderOutbox(builder.Configuration.GetSection("OrderOutbox"))   // polling, batch, backoff, ...
    .UseSqlite(orders, sqlite => sqlite.EnsureSchemaOnStartup = true) // or UsePostgreSql(...) / UseSqlServer(...)
    .UseHttpDispatcher(builder.Configuration.GetSection("OrderOutbox:Http"));

var app = builder.Build();
await using (var db = new SqliteConnection(orders))
{
    await db.ExecuteAsync("CREATE TABLE IF NOT EXISTS orders (id TEXT PRIMARY KEY, status TEXT NOT NULL)");
}

// Completes the order and enqueues order.completed: both commit, or neither does.
app.MapPost("/orders/{id}/complete", async (string id, IOutboxWriter outbox, TimeProvider clock, CancellationToken ct) =>
{
    await using var db = new SqliteConnection(orders);
    await db.OpenAsync(ct);
    await using var tx = await db.BeginTransactionAsync(ct);
    await db.ExecuteAsync(
        "INSERT INTO orders (id, status) VALUES (@id, 'COMPLETED') ON CONFLICT (id) DO UPDATE SET status = 'COMPLETED'",
        new { id },
        tx);
    Guid messageId = await outbox.EnqueueAsync(tx, new OrderCompleted(id, clock.GetUtcNow()), ct);
    await tx.CommitAsync(ct);
    return Results.Accepted(value: new { id, messageId });
});

// A stand-in for the data platform, so one `dotnet run` shows the whole loop; point OrderOutbox:Http:Endpoint elsewhere.
app.MapPost("/platform/orders", (OrderCompleted order) =>
{
    Console.WriteLine($"The data platform received order.completed for order {order.OrderId}");
    return Results.Ok();
});

app.Run();

/// <summary>The event the data platform receives, as JSON: <c>{"orderId":"42","completedAt":"…"}</c>.</summary>
[OutboxMessageType("order.completed")]
public sealed record OrderCompleted(string OrderId, DateTimeOffset CompletedAt);
