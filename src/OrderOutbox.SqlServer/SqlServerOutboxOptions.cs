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

    /// <summary>The default <see cref="CommandTimeout"/>: 30 seconds.</summary>
    public static readonly TimeSpan DefaultCommandTimeout = TimeSpan.FromSeconds(30);

    /// <summary>The smallest allowed <see cref="CommandTimeout"/>: 1 second.</summary>
    public static readonly TimeSpan MinCommandTimeout = TimeSpan.FromSeconds(1);

    /// <summary>The largest allowed <see cref="CommandTimeout"/>: 1 hour.</summary>
    public static readonly TimeSpan MaxCommandTimeout = TimeSpan.FromHours(1);

    /// <summary>
    /// The Microsoft.Data.SqlClient connection string of the database that holds the outbox table. Required,
    /// unless the store is given a <see cref="System.Data.Common.DbDataSource"/>
    /// (<c>UseSqlServer(dataSource)</c>).
    /// </summary>
    /// <value>Default <see langword="null"/>.</value>
    public string? ConnectionString { get; set; }

    /// <summary>How long a store command may run before it is cancelled (<c>SqlCommand.CommandTimeout</c>).</summary>
    /// <value>Default 30 seconds; allowed 1 second to 1 hour.</value>
    public TimeSpan CommandTimeout { get; set; } = DefaultCommandTimeout;
}
