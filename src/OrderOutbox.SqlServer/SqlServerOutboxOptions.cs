using OrderOutbox.Storage;

namespace OrderOutbox.SqlServer;

/// <summary>
/// Options of the SQL Server store, set in <c>UseSqlServer(connectionString, o =&gt; …)</c> or bound from configuration
/// with <c>UseSqlServer(configuration.GetSection("OrderOutbox:SqlServer"))</c>. Validated when the host starts.
/// </summary>
public sealed class SqlServerOutboxOptions : OutboxStoreOptions
{
    /// <summary>The schema used when <see cref="OutboxStoreOptions.Schema"/> is <see langword="null"/>: <c>dbo</c>.</summary>
    public const string DefaultSchema = "dbo";

    /// <summary>The timeout used when <see cref="OutboxStoreOptions.CommandTimeout"/> is <see langword="null"/>: 30 seconds.</summary>
    public static readonly TimeSpan DefaultCommandTimeout = TimeSpan.FromSeconds(30);
}
