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
    /// The seconds of inactivity after which Npgsql pings an open connection of a data source the outbox builds itself,
    /// when the connection string does not say (<c>Keepalive</c>). The wake-up listener's connection waits for
    /// notifications for minutes at a time; Npgsql's keepalive is a protocol-level ping (no SQL, no transaction), so a
    /// silent network loss is found without the listener running a query of its own.
    /// </summary>
    internal const int DefaultKeepAliveSeconds = 30;

    /// <summary>
    /// <paramref name="connectionString"/> with <c>Max Auto Prepare</c> = <see cref="DefaultMaxAutoPrepare"/> and
    /// <c>Keepalive</c> = <see cref="DefaultKeepAliveSeconds"/> where it does not set those keywords itself (an explicit
    /// value, 0 included, is kept).
    /// </summary>
    internal static string WithOwnedDefaults(string connectionString)
    {
        // NpgsqlConnectionStringBuilder.ContainsKey answers true for every keyword it knows, set or not; the generic
        // builder holds only the keywords the string really contains (with or without their spaces).
        var given = new DbConnectionStringBuilder { ConnectionString = connectionString };
        bool hasAutoPrepare = false;
        bool hasKeepAlive = false;
        foreach (string key in given.Keys)
        {
            string compact = key.Replace(" ", "", StringComparison.Ordinal);
            hasAutoPrepare |= string.Equals(compact, "MaxAutoPrepare", StringComparison.OrdinalIgnoreCase);
            hasKeepAlive |= string.Equals(compact, "KeepAlive", StringComparison.OrdinalIgnoreCase);
        }

        if (hasAutoPrepare && hasKeepAlive)
        {
            return connectionString;
        }

        var builder = new NpgsqlConnectionStringBuilder(connectionString);
        if (!hasAutoPrepare)
        {
            builder.MaxAutoPrepare = DefaultMaxAutoPrepare;
        }

        if (!hasKeepAlive)
        {
            builder.KeepAlive = DefaultKeepAliveSeconds;
        }

        return builder.ConnectionString;
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
