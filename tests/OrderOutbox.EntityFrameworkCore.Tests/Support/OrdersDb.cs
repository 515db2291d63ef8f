using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;

namespace OrderOutbox.EntityFrameworkCore.Tests.Support;

/// <summary>The business entity of the tests: an order whose completion is written with its outbox record.</summary>
public sealed class Order
{
    public string Id { get; set; } = "";

    public string Status { get; set; } = "PLACED";

    public int Quantity { get; set; }
}

/// <summary>The tables one test uses: its own outbox table and orders table, in the fixture's schema.</summary>
public sealed record TestTables(string? Schema, string Outbox, string Orders)
{
    public static TestTables New(string? schema)
    {
        string suffix = Guid.NewGuid().ToString("N")[..12];
        return new TestTables(schema, "outbox_" + suffix, "orders_" + suffix);
    }
}

/// <summary>An application's context: orders plus the outbox table, mapped with <c>AddOrderOutbox</c>.</summary>
public sealed class OrdersDb(DbContextOptions<OrdersDb> options, TestTables tables) : DbContext(options)
{
    public TestTables Tables { get; } = tables;

    public DbSet<Order> Orders => Set<Order>();

    protected override void OnModelCreating(ModelBuilder modelBuilder)
    {
        modelBuilder.Entity<Order>(order =>
        {
            order.ToTable(Tables.Orders, Tables.Schema);
            order.HasKey(o => o.Id);
            order.Property(o => o.Id).HasColumnName("id");
            order.Property(o => o.Status).HasColumnName("status");
            order.Property(o => o.Quantity).HasColumnName("quantity");
        });
        modelBuilder.AddOrderOutbox(outbox =>
        {
            outbox.Schema = Tables.Schema;
            outbox.TableName = Tables.Outbox;
        });
    }
}

/// <summary>One model per set of tables (EF Core caches models per context type by default).</summary>
public sealed class TablesModelCacheKeyFactory : IModelCacheKeyFactory
{
    public object Create(DbContext context, bool designTime) => (context.GetType(), ((OrdersDb)context).Tables, designTime);
}
