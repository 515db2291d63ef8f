using System.Data.Common;
using OrderOutbox.Storage;
using OrderOutbox.Tests.Support;

namespace OrderOutbox.Tests.Conformance;

/// <summary>
/// The conformance fixture of the test-only <see cref="InMemoryOutboxStore"/>: it must pass the same suites as the
/// real stores, or the unit and model tests built on it prove nothing. Transactions are <see cref="FakeDbTransaction"/>s.
/// </summary>
public sealed class InMemoryOutboxStoreFixture : IOutboxStoreFixture
{
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
        var options = new Options();
        configure?.Invoke(options);
        var store = new InMemoryOutboxStore(timeProvider);
        return new ConformanceStore(store, store, options.TableName);
    }

    public Task<DbConnection> OpenConnectionAsync(CancellationToken cancellationToken = default)
        => Task.FromResult<DbConnection>(new FakeDbConnection());

    public Task<object?> ExecuteScalarAsync(string sql, CancellationToken cancellationToken = default)
        => throw new NotSupportedException("The in-memory store runs no SQL.");

    private sealed class Options : OutboxStoreOptions;
}
