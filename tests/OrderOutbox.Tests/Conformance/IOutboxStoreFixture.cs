using System.Data.Common;
using OrderOutbox.Storage;
using Xunit;

namespace OrderOutbox.Tests.Conformance;

/// <summary>
/// What a store package provides to run the storage conformance suites. One fixture instance is shared by one test
/// class (xunit class fixture) and owns an isolated place in the database: a fresh schema (PostgreSQL), a fresh file
/// (SQLite) or a fresh database/schema (SQL Server), created in <see cref="IAsyncLifetime.InitializeAsync"/> and
/// dropped in <see cref="IAsyncDisposable.DisposeAsync"/>. Inside it every test takes its own table through
/// <see cref="CreateStoreAsync"/>, so tests never see each other's records.
/// </summary>
/// <remarks>
/// When the database is not configured, <see cref="IAsyncLifetime.InitializeAsync"/> must throw (failing every test)
/// if the environment variable <c>CI</c> is <c>true</c>, and otherwise <see cref="CreateStore"/> /
/// <see cref="CreateStoreAsync"/> / <see cref="OpenConnectionAsync"/> call <c>Assert.Skip</c> with the reason.
/// </remarks>
public interface IOutboxStoreFixture : IAsyncLifetime
{
    /// <summary>A short provider name for messages, e.g. <c>PostgreSql</c>.</summary>
    string ProviderName { get; }

    /// <summary>
    /// Creates a store over a new, empty table with a unique name in this fixture's isolated schema/database/file, and
    /// runs its <see cref="IOutboxStore.EnsureSchemaAsync"/>.
    /// </summary>
    /// <param name="timeProvider">The clock the admin operations read "now" from, or <see langword="null"/> for the system clock.</param>
    /// <param name="cancellationToken">Cancels the schema creation.</param>
    /// <returns>The store (it implements both <see cref="IOutboxStore"/> and <see cref="IOutboxAdmin"/>).</returns>
    Task<ConformanceStore> CreateStoreAsync(TimeProvider? timeProvider = null, CancellationToken cancellationToken = default);

    /// <summary>
    /// Constructs a store WITHOUT creating its schema. Defaults: the fixture's schema (or none) and a new unique table
    /// name; <paramref name="configure"/> then runs on the store's real options object (as its base type), so a test can
    /// set any table name or schema — including hostile ones, in which case the store constructor must throw
    /// <see cref="ArgumentException"/> before any SQL runs. Two calls that set the same <c>TableName</c> address the
    /// same table (used to race two <c>EnsureSchemaAsync</c>).
    /// </summary>
    /// <param name="configure">Adjusts the options, or <see langword="null"/>.</param>
    /// <param name="timeProvider">The clock the admin operations read "now" from, or <see langword="null"/> for the system clock.</param>
    /// <returns>The store.</returns>
    ConformanceStore CreateStore(Action<OutboxStoreOptions>? configure = null, TimeProvider? timeProvider = null);

    /// <summary>
    /// Creates <paramref name="tableName"/> in this fixture's schema/database/file with the schema script as shipped in
    /// version 0.1 (a copy kept in <c>Conformance/Legacy</c>), to test that <see cref="IOutboxStore.EnsureSchemaAsync"/>
    /// migrates an existing table.
    /// </summary>
    /// <param name="tableName">The table name (a valid identifier).</param>
    /// <param name="cancellationToken">Cancels the script.</param>
    /// <returns>A task that completes when the table exists.</returns>
    Task CreateVersion01TableAsync(string tableName, CancellationToken cancellationToken = default);

    /// <summary>Opens a new connection of this store's provider to the fixture's database (the caller disposes it).</summary>
    /// <param name="cancellationToken">Cancels the open.</param>
    /// <returns>An open connection, ready for <see cref="DbConnection.BeginTransactionAsync(CancellationToken)"/>.</returns>
    Task<DbConnection> OpenConnectionAsync(CancellationToken cancellationToken = default);

    /// <summary>Runs provider-specific SQL against the fixture's database (for provider-specific tests and assertions).</summary>
    /// <param name="sql">The SQL text; no parameters.</param>
    /// <param name="cancellationToken">Cancels the command.</param>
    /// <returns>The first column of the first row, or <see langword="null"/>.</returns>
    Task<object?> ExecuteScalarAsync(string sql, CancellationToken cancellationToken = default);
}

/// <summary>A store created by a fixture, with the table it addresses.</summary>
/// <param name="Store">The store.</param>
/// <param name="Admin">The same store as <see cref="IOutboxAdmin"/>.</param>
/// <param name="TableName">The (unquoted) table name it uses.</param>
public sealed record ConformanceStore(IOutboxStore Store, IOutboxAdmin Admin, string TableName);
