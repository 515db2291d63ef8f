using System.Data.Common;
using OrderOutbox.Storage;
using OrderOutbox.Tests.Support;

namespace OrderOutbox.Tests.Conformance;

/// <summary>
/// The conformance fixture of the test-only <see cref="InMemoryOutboxStore"/>: it must pass the same suites as the
/// real stores, or the unit and model tests built on it prove nothing. One <see cref="InMemoryOutboxDatabase"/> per test
/// class; every store gets its own table in it. The enqueue path's transactions are <see cref="FakeDbTransaction"/>s,
/// which keep the store's inserts pending until they commit.
/// </summary>
public sealed class InMemoryOutboxStoreFixture : IOutboxStoreFixture
{
    private static int s_tableCounter;
    private readonly InMemoryOutboxDatabase _database = new();

    public string ProviderName => "InMemory";

    public ValueTask InitializeAsync() => ValueTask.CompletedTask;

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;

    public async Task<ConformanceStore> CreateStoreAsync(TimeProvider? timeProvider = null, CancellationToken cancellationToken = default)
    {
        ConformanceStore store = CreateStore(null, timeProvider);
        await store.Store.EnsureSchemaAsync(cancellationToken);
        return store;
    }

    public ConformanceStore CreateStore(Action<OutboxStoreOptions>? configure = null, TimeProvider? timeProvider = null)
    {
        var options = new InMemoryOutboxOptions { TableName = "outbox_" + Interlocked.Increment(ref s_tableCounter) };
        configure?.Invoke(options);
        var store = new InMemoryOutboxStore(options, _database, timeProvider);
        return new ConformanceStore(store, store, options.TableName);
    }

    /// <summary>The in-memory store has one table shape in every version: the 0.1 table is the table.</summary>
    public Task CreateVersion01TableAsync(string tableName, CancellationToken cancellationToken = default)
    {
        _database.Ensure(tableName);
        return Task.CompletedTask;
    }

    public Task<DbConnection> OpenConnectionAsync(CancellationToken cancellationToken = default)
        => Task.FromResult<DbConnection>(new FakeDbConnection());

    public Task<object?> ExecuteScalarAsync(string sql, CancellationToken cancellationToken = default)
        => throw new NotSupportedException("The in-memory store runs no SQL.");
}
