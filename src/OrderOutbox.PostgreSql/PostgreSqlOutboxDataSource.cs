using System.Data.Common;
using Npgsql;

namespace OrderOutbox.PostgreSql;

/// <summary>
/// The data source the outbox uses in DI: either the application's own (not disposed by us) or one built from
/// <see cref="OrderOutbox.Storage.OutboxStoreOptions.ConnectionString"/> (disposed with the container).
/// </summary>
internal sealed class PostgreSqlOutboxDataSource(NpgsqlDataSource dataSource, bool owned) : IAsyncDisposable, IDisposable
{
    /// <summary>
    /// The number of statements Npgsql prepares automatically per physical connection of a data source the outbox builds
    /// itself, when the connection string does not say (<c>Max Auto Prepare</c>): the store runs about twenty distinct
    /// statements, the dispatcher's few hot ones on every cycle.
    /// </summary>
    internal const int DefaultMaxAutoPrepare = 32;

    public NpgsqlDataSource DataSource { get; } = dataSource;

    /// <summary>
    /// <paramref name="connectionString"/> with <c>Max Auto Prepare</c> = <see cref="DefaultMaxAutoPrepare"/> when it does
    /// not set that keyword itself (an explicit value, 0 included, is kept).
    /// </summary>
    internal static string WithAutoPrepare(string connectionString)
    {
        // NpgsqlConnectionStringBuilder.ContainsKey answers true for every keyword it knows, set or not; the generic
        // builder holds only the keywords the string really contains ("Max Auto Prepare" or its synonym "MaxAutoPrepare").
        var given = new DbConnectionStringBuilder { ConnectionString = connectionString };
        foreach (string key in given.Keys)
        {
            if (string.Equals(key.Replace(" ", "", StringComparison.Ordinal), "MaxAutoPrepare", StringComparison.OrdinalIgnoreCase))
            {
                return connectionString;
            }
        }

        return new NpgsqlConnectionStringBuilder(connectionString) { MaxAutoPrepare = DefaultMaxAutoPrepare }.ConnectionString;
    }

    public ValueTask DisposeAsync() => owned ? DataSource.DisposeAsync() : ValueTask.CompletedTask;

    public void Dispose()
    {
        if (owned)
        {
            DataSource.Dispose();
        }
    }
}
