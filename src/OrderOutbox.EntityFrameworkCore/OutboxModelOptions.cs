using OrderOutbox.Storage;

namespace OrderOutbox.EntityFrameworkCore;

/// <summary>
/// Where the outbox table lives, for <c>modelBuilder.AddOrderOutbox(…)</c>. Use the same names as the store options of
/// the dispatcher host (<c>UsePostgreSql</c>, <c>UseSqlServer</c>, <c>UseSqlite</c>): Entity Framework Core writes the
/// records, the Dapper store claims and delivers them — one table, two writers.
/// </summary>
public sealed class OutboxModelOptions
{
    /// <summary>
    /// The schema of the table, or <see langword="null"/> for the store's default: <c>public</c> on PostgreSQL,
    /// <c>dbo</c> on SQL Server (SQLite has no schemas; leave it <see langword="null"/> there). Must match
    /// <see cref="SqlIdentifier.Pattern"/>.
    /// </summary>
    /// <value>Default <see langword="null"/>.</value>
    public string? Schema { get; set; }

    /// <summary>The table name. Must match <see cref="SqlIdentifier.Pattern"/>.</summary>
    /// <value>Default <c>outbox_messages</c>.</value>
    public string TableName { get; set; } = OutboxStoreOptions.DefaultTableName;

    /// <summary>
    /// Whether the table is left out of EF Core migrations and <c>EnsureCreated</c>. The table, its indexes and its
    /// check constraint are the store's schema script (created by <c>EnsureSchemaOnStartup</c> or by a DBA), so by
    /// default EF Core does not try to create a second, different one. Set <see langword="false"/> only if your
    /// migrations own the table and you keep it identical to the script.
    /// </summary>
    /// <value>Default <see langword="true"/>.</value>
    public bool ExcludeFromMigrations { get; set; } = true;
}
