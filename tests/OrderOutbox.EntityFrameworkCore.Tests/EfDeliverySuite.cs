using System.Text.Json;
using FluentAssertions;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Storage;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using OrderOutbox.EntityFrameworkCore.Tests.Support;
using OrderOutbox.Tests.EndToEnd;
using Xunit;

namespace OrderOutbox.EntityFrameworkCore.Tests;

/// <summary>
/// One table, two writers, end to end: a real Generic Host runs the Dapper store's dispatcher
/// (<c>AddOrderOutbox().Use…().UseHttpDispatcher()</c>) while contexts from <c>AddDbContext</c> complete orders through
/// <c>Outbox().Enqueue</c> and <c>SaveChangesAsync</c>; a loopback Kestrel receiver must get every committed record,
/// byte for byte, and none of the rolled-back ones. On PostgreSQL the host polls once a minute, so the deliveries
/// within the test's time come from the wake-up that <c>SaveChanges</c> sent.
/// </summary>
public abstract class EfDeliverySuite<TFixture>(TFixture fixture) : IClassFixture<TFixture>
    where TFixture : class, IEfStoreFixture
{
    private static readonly JsonSerializerOptions Web = new(JsonSerializerDefaults.Web);

    [Fact]
    public async Task The_dispatcher_delivers_every_committed_record_that_EF_Core_wrote_and_none_that_rolled_back()
    {
        CancellationToken ct = TestContext.Current.CancellationToken;
        await using EndToEndReceiver receiver = await EndToEndReceiver.StartAsync();
        var tables = TestTables.New(fixture.Schema);

        HostApplicationBuilder builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Services.AddSingleton(tables);
        builder.Services.AddDbContext<OrdersDb>(o =>
        {
            fixture.UseProvider(o);
            o.UseOrderOutbox().ReplaceService<IModelCacheKeyFactory, TablesModelCacheKeyFactory>();
        });
        OrderOutboxBuilder outbox = builder.Services.AddOrderOutbox(o =>
        {
            o.PollingInterval = fixture.PollingInterval;
            o.MaxConcurrency = 4;
        });
        fixture.UseStore(outbox, tables.Outbox);
        outbox.UseHttpDispatcher(http => http.Endpoint = receiver.Endpoint);
        using IHost host = builder.Build();
        await host.StartAsync(ct); // creates the outbox table (EnsureSchemaOnStartup)

        using (IServiceScope scope = host.Services.CreateScope())
        {
            await scope.ServiceProvider.GetRequiredService<OrdersDb>().GetService<IRelationalDatabaseCreator>().CreateTablesAsync(ct);
        }

        var committed = new Dictionary<Guid, byte[]>();
        var rolledBack = new List<Guid>();
        async Task CompleteAsync(int writer)
        {
            for (int i = 0; i < 5; i++)
            {
                using IServiceScope scope = host.Services.CreateScope();
                OrdersDb db = scope.ServiceProvider.GetRequiredService<OrdersDb>();
                await using var transaction = await db.Database.BeginTransactionAsync(ct);
                string orderId = $"o-{writer}-{i}";
                var payload = new OrderCompleted(orderId, $"u-{writer}", i);
                db.Orders.Add(new Order { Id = orderId, Status = "COMPLETED", Quantity = i });
                Guid id = db.Outbox().Enqueue("order.completed", payload, orderId);
                await db.SaveChangesAsync(ct);
                bool commit = i != 2;
                if (commit)
                {
                    await transaction.CommitAsync(ct);
                }
                else
                {
                    await transaction.RollbackAsync(ct);
                }

                lock (committed)
                {
                    if (commit)
                    {
                        committed.Add(id, JsonSerializer.SerializeToUtf8Bytes(payload, Web));
                    }
                    else
                    {
                        rolledBack.Add(id);
                    }
                }
            }
        }

        await Task.WhenAll(Enumerable.Range(0, 4).Select(CompleteAsync));
        IReadOnlyList<Delivery> deliveries = await receiver.WaitForAsync(
            seen => seen.Select(d => d.MessageId).Distinct().Count() >= committed.Count,
            TimeSpan.FromSeconds(30),
            $"{committed.Count} committed records",
            ct);
        await host.StopAsync(ct);

        deliveries.Select(d => d.MessageId).Distinct().Should().BeEquivalentTo(committed.Keys);
        deliveries.Select(d => d.MessageId).Should().NotIntersectWith(rolledBack);
        foreach (Delivery delivery in deliveries)
        {
            delivery.Body.Should().Equal(committed[delivery.MessageId]);
        }
    }
}
