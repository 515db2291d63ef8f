namespace OrderOutbox.Storage;

/// <summary>Options every store shares: the connection, where the table lives, the command timeout and whether to create the table at start-up.</summary>
public abstract class OutboxStoreOptions
{
    /// <summary>The smallest allowed <see cref="CommandTimeout"/>: 1 second.</summary>
    public static readonly TimeSpan MinCommandTimeout = TimeSpan.FromSeconds(1);

    /// <summary>The largest allowed <see cref="CommandTimeout"/>: 1 hour.</summary>
    public static readonly TimeSpan MaxCommandTimeout = TimeSpan.FromHours(1);

    /// <summary>
    /// The connection string of the database that holds the outbox table. Required, unless the store is given a
    /// data source (<c>UsePostgreSql(NpgsqlDataSource)</c>, <c>UseSqlServer(DbDataSource)</c>).
    /// </summary>
    /// <value>Default <see langword="null"/>.</value>
    public string? ConnectionString { get; set; }

    /// <summary>
    /// How long a store command (claims, outcomes, admin, schema) may run before it is cancelled, or
    /// <see langword="null"/> for the store's default: the connection string's <c>Command Timeout</c> on PostgreSQL,
    /// 30 seconds on SQL Server and SQLite. Enqueue runs on the caller's connection and keeps its timeout.
    /// </summary>
    /// <value>Default <see langword="null"/> (the store's default); allowed 1 second to 1 hour.</value>
    public TimeSpan? CommandTimeout { get; set; }

    /// <summary>The default table name, <c>outbox_messages</c>.</summary>
    public const string DefaultTableName = "outbox_messages";

    /// <summary>
    /// The schema of the table, or <see langword="null"/> for the store's default (<c>public</c> on PostgreSQL,
    /// <c>dbo</c> on SQL Server; SQLite has none). Must match <see cref="SqlIdentifier.Pattern"/>.
    /// </summary>
    public string? Schema { get; set; }

    /// <summary>The table name. Must match <see cref="SqlIdentifier.Pattern"/>.</summary>
    /// <value>Default <c>outbox_messages</c>.</value>
    public string TableName { get; set; } = DefaultTableName;

    /// <summary>Whether the store runs its idempotent <c>EnsureSchemaAsync</c> when the host starts.</summary>
    /// <value>Default <see langword="false"/> (schemas are usually a DBA's or a migration's job).</value>
    public bool EnsureSchemaOnStartup { get; set; }
}
