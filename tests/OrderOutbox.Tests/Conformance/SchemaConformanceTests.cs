using FluentAssertions;
using Xunit;

namespace OrderOutbox.Tests.Conformance;

/// <summary>Schema creation (idempotent, concurrent) and identifier validation before any SQL.</summary>
/// <typeparam name="TFixture">The store's fixture.</typeparam>
public abstract class SchemaConformanceTests<TFixture>(TFixture fixture) : ConformanceTestBase<TFixture>(fixture)
    where TFixture : class, IOutboxStoreFixture
{
    [Fact]
    public async Task EnsureSchema_twice_is_idempotent_and_the_store_works()
    {
        ConformanceStore store = Fixture.CreateStore();

        await store.Store.EnsureSchemaAsync(Ct);
        await store.Store.EnsureSchemaAsync(Ct);

        await AssertWorksAsync(store);
    }

    [Fact]
    public async Task EnsureSchema_from_several_instances_at_once_on_a_fresh_table_succeeds()
    {
        string table = "race_" + Guid.NewGuid().ToString("N")[..12];
        ConformanceStore[] stores = Enumerable.Range(0, 3).Select(_ => Fixture.CreateStore(o => o.TableName = table)).ToArray();

        await Task.WhenAll(stores.Select(s => Task.Run(() => s.Store.EnsureSchemaAsync(Ct), Ct)));

        await AssertWorksAsync(stores[0]);
        (await stores[1].Admin.GetStatisticsAsync(Ct)).Pending.Should().Be(1, "all instances address the same table");
    }

    [Fact]
    public async Task A_table_name_of_the_maximum_length_works()
    {
        string table = "t" + Guid.NewGuid().ToString("N") + new string('x', 62 - 32);
        table.Length.Should().Be(63);
        ConformanceStore store = Fixture.CreateStore(o => o.TableName = table);

        await store.Store.EnsureSchemaAsync(Ct);
        await store.Store.EnsureSchemaAsync(Ct);

        await AssertWorksAsync(store);
    }

    [Theory]
    [MemberData(nameof(ConformanceData.HostileNames), MemberType = typeof(ConformanceData))]
    public void A_hostile_table_name_is_rejected_when_the_store_is_built(string tableName)
    {
        Action act = () => Fixture.CreateStore(o => o.TableName = tableName);

        act.Should().Throw<ArgumentException>().Which.Message.Should().Contain("TableName");
    }

    [Theory]
    [MemberData(nameof(ConformanceData.HostileNames), MemberType = typeof(ConformanceData))]
    public void A_hostile_schema_name_is_rejected_when_the_store_is_built(string schema)
    {
        Action act = () => Fixture.CreateStore(o => o.Schema = schema);

        act.Should().Throw<ArgumentException>().Which.Message.Should().Contain("Schema");
    }

    private async Task AssertWorksAsync(ConformanceStore store)
    {
        OutboxEntry entry = NewEntry(T0);
        await EnqueueAsync(store, entry);
        OutboxMessage claimed = (await ClaimAsync(store, 10, T0)).Should().ContainSingle().Subject;
        (await store.Store.CompleteAsync([OutboxOutcome.Sent(claimed, T0, T0)], Ct)).Should().BeEmpty();
        (await store.Admin.GetAsync(entry.Id, Ct))!.Status.Should().Be(OutboxStatus.Sent);
        await EnqueueAsync(store, NewEntry(T0));
    }
}
