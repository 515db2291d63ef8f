using System.Data.Common;
using OrderOutbox.Storage;
using Xunit;

namespace OrderOutbox.Tests.EndToEnd;

/// <summary>
/// What a store provides to the end-to-end suite (<see cref="EndToEndTests{TFixture}"/>). One instance is shared by one
/// test class (xunit class fixture) and owns an isolated place in the database — a fresh schema (PostgreSQL, SQL Server)
/// or a fresh file (SQLite) — created in <see cref="IAsyncLifetime.InitializeAsync"/> and dropped at the end. Every test
/// takes its own outbox and orders tables inside it.
/// </summary>
/// <remarks>
/// When the database is not configured, <see cref="IAsyncLifetime.InitializeAsync"/> throws if the store can run on this
/// machine and <c>CI=true</c>; otherwise <see cref="OpenConnectionAsync"/> and <see cref="UseStore"/> call
/// <c>Assert.Skip</c> with the reason.
/// </remarks>
public interface IEndToEndStoreFixture : IAsyncLifetime
{
    /// <summary>A short provider name for messages, e.g. <c>PostgreSql</c>.</summary>
    string ProviderName { get; }

    /// <summary>Opens a new connection of the store's provider to the fixture's database (the caller disposes it).</summary>
    /// <param name="cancellationToken">Cancels the open.</param>
    /// <returns>An open connection, on which the business transactions run.</returns>
    Task<DbConnection> OpenConnectionAsync(CancellationToken cancellationToken = default);

    /// <summary>The quoted, schema-qualified name of a table of this fixture, for hand-written SQL.</summary>
    /// <param name="tableName">The unquoted table name (letters, digits and underscores).</param>
    /// <returns>For example <c>"oo_test_…"."orders_1"</c>.</returns>
    string QualifyTable(string tableName);

    /// <summary>
    /// Chooses this store on <paramref name="builder"/> with its public <c>Use…(connectionString, o =&gt; …)</c> method:
    /// the fixture's database and schema, <paramref name="tableName"/> as the outbox table, <c>EnsureSchemaOnStartup</c> on.
    /// </summary>
    /// <param name="builder">The builder returned by <c>AddOrderOutbox</c>.</param>
    /// <param name="tableName">The outbox table of this test.</param>
    /// <param name="configure">Adjusts the store's options (given as its base type) after the defaults, or <see langword="null"/>.</param>
    void UseStore(OrderOutboxBuilder builder, string tableName, Action<OutboxStoreOptions>? configure = null);
}
