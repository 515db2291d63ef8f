namespace OrderOutbox.Storage;

/// <summary>Options every store shares: where the table lives and whether to create it at start-up.</summary>
public abstract class OutboxStoreOptions
{
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
