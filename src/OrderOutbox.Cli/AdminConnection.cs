using System.Data.Common;
using Npgsql;
using OrderOutbox.PostgreSql;
using OrderOutbox.Sqlite;
using OrderOutbox.SqlServer;

namespace OrderOutbox.Cli;

/// <summary>The <see cref="IOutboxAdmin"/> of one store, opened from the command line's connection settings, and what it holds open.</summary>
internal sealed class AdminConnection : IAsyncDisposable
{
    private readonly IAsyncDisposable? _owned;

    private AdminConnection(IOutboxAdmin admin, IAsyncDisposable? owned)
    {
        Admin = admin;
        _owned = owned;
    }

    public IOutboxAdmin Admin { get; }

    /// <summary>
    /// Builds the store. A connection string the driver cannot parse is reported without its text (it may hold a password).
    /// </summary>
    /// <exception cref="CliUsageException">The connection string is not valid for <paramref name="kind"/>.</exception>
    public static AdminConnection Open(StoreKind kind, string connectionString, string? schema, string table)
    {
        try
        {
            switch (kind)
            {
                case StoreKind.PostgreSql:
                    NpgsqlDataSource dataSource = NpgsqlDataSource.Create(connectionString);
                    var postgres = new PostgreSqlOutboxStore(dataSource, new PostgreSqlOutboxOptions { Schema = schema, TableName = table, UseNotifications = false });
                    return new AdminConnection(postgres, dataSource);
                case StoreKind.SqlServer:
                    return new AdminConnection(new SqlServerOutboxStore(new SqlServerOutboxOptions { ConnectionString = connectionString, Schema = schema, TableName = table }), null);
                default:
                    return new AdminConnection(new SqliteOutboxStore(new SqliteOutboxOptions { ConnectionString = connectionString, TableName = table }), null);
            }
        }
        catch (Exception e) when (e is ArgumentException or FormatException or KeyNotFoundException or DbException)
        {
            throw new CliUsageException(
                $"--connection (or {CliApplication.ConnectionVariable}): not a valid {kind} connection string ({e.GetType().Name}; the value is not shown because it may hold a password).");
        }
    }

    public ValueTask DisposeAsync() => _owned?.DisposeAsync() ?? ValueTask.CompletedTask;
}

/// <summary>A mistake on the command line found after parsing (exit code 2); the message names the option, the value and what is allowed.</summary>
internal sealed class CliUsageException(string message) : Exception(message);
