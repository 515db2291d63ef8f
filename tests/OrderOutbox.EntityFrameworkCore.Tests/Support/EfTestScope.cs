using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Storage;
using Microsoft.Extensions.DependencyInjection;
using OrderOutbox.EntityFrameworkCore;

namespace OrderOutbox.EntityFrameworkCore.Tests.Support;

/// <summary>
/// One test's world: its own outbox and orders tables (the outbox table created by the Dapper store's
/// <c>EnsureSchemaAsync</c>, the orders table by EF Core — which must leave the outbox table alone), the Dapper store
/// over them, and application services with <c>AddOrderOutbox()</c> and the test's clock that the contexts use.
/// </summary>
public sealed class EfTestScope : IAsyncDisposable
{
    private readonly IEfStoreFixture _fixture;
    private readonly ServiceProvider _services;

    private EfTestScope(IEfStoreFixture fixture, TestTables tables, OutboxStoreHandle store, ServiceProvider services)
    {
        _fixture = fixture;
        Tables = tables;
        Store = store.Store;
        Admin = store.Admin;
        _services = services;
    }

    public TestTables Tables { get; }

    public IOutboxStore Store { get; }

    public IOutboxAdmin Admin { get; }

    /// <summary>The wake-up of the application services (the dispatcher of "this process").</summary>
    public OrderOutbox.Hosting.OutboxWakeUp WakeUp => _services.GetRequiredService<OrderOutbox.Hosting.OutboxWakeUp>();

    public static async Task<EfTestScope> StartAsync(
        IEfStoreFixture fixture, TimeProvider timeProvider, Action<OutboxOptions>? configureOutbox = null, CancellationToken cancellationToken = default)
    {
        var tables = TestTables.New(fixture.Schema);
        OutboxStoreHandle store = fixture.CreateStore(tables.Outbox, timeProvider);
        await store.Store.EnsureSchemaAsync(cancellationToken);

        var services = new ServiceCollection();
        services.AddSingleton(timeProvider);
        fixture.UseStore(
            services.AddOrderOutbox(o =>
            {
                o.RunDispatcher = false; // a host that only enqueues
                configureOutbox?.Invoke(o);
            }),
            tables.Outbox);
        var scope = new EfTestScope(fixture, tables, store, services.BuildServiceProvider());

        await using OrdersDb db = scope.NewContext();
        await db.GetService<IRelationalDatabaseCreator>().CreateTablesAsync(cancellationToken);
        return scope;
    }

    /// <summary>A new context over this test's tables, created the way <c>AddDbContext</c> would (with application services).</summary>
    public OrdersDb NewContext(Action<OutboxDbContextOptions>? configure = null)
    {
        var builder = new DbContextOptionsBuilder<OrdersDb>();
        _fixture.UseProvider(builder);
        builder.UseOrderOutbox(configure)
            .ReplaceService<IModelCacheKeyFactory, TablesModelCacheKeyFactory>()
            .UseApplicationServiceProvider(_services);
        return new OrdersDb(builder.Options, Tables);
    }

    public ValueTask DisposeAsync() => _services.DisposeAsync();
}

/// <summary>The payload of the tests.</summary>
public sealed record OrderCompleted(string OrderId, string UserId, int Quantity);
