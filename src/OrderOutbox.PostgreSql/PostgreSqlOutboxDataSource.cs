using Npgsql;

namespace OrderOutbox.PostgreSql;

/// <summary>
/// The data source the outbox uses in DI: either the application's own (not disposed by us) or one built from
/// <see cref="OrderOutbox.Storage.OutboxStoreOptions.ConnectionString"/> (disposed with the container).
/// </summary>
internal sealed class PostgreSqlOutboxDataSource(NpgsqlDataSource dataSource, bool owned) : IAsyncDisposable, IDisposable
{
    public NpgsqlDataSource DataSource { get; } = dataSource;

    public ValueTask DisposeAsync() => owned ? DataSource.DisposeAsync() : ValueTask.CompletedTask;

    public void Dispose()
    {
        if (owned)
        {
            DataSource.Dispose();
        }
    }
}
