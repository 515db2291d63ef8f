using System.Data.Common;
using System.Globalization;
using Microsoft.Data.SqlClient;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;

namespace OrderOutbox.Sample;

/// <summary>
/// What differs between the three stores for the sample: how to open a connection for the order service and the
/// DDL of the sample's own <c>orders</c> tables. Which <c>Use…</c> method wires the outbox store is in Program.cs.
/// Everything else (the order service, the outbox, the dispatcher) is the same code for all three.
/// </summary>
internal abstract class SampleDatabase
{
    /// <summary>A short, password-free description for the console, for example <c>PostgreSQL 127.0.0.1:5432/outbox_test</c>.</summary>
    public abstract string Description { get; }

    /// <summary>Creates the sample's <c>orders</c> and <c>order_items</c> tables if they do not exist.</summary>
    public abstract string CreateOrderTablesSql { get; }

    public static SampleDatabase Create(SampleSettings settings)
    {
        try
        {
            return settings.Store switch
            {
                StoreKind.Sqlite => new SqliteSampleDatabase(settings.ConnectionString),
                StoreKind.PostgreSql => new PostgreSqlSampleDatabase(settings.ConnectionString!),
                StoreKind.SqlServer => new SqlServerSampleDatabase(settings.ConnectionString!),
                _ => throw new ArgumentOutOfRangeException(nameof(settings), settings.Store, "Unknown store."),
            };
        }
        catch (Exception ex) when (ex is ArgumentException or FormatException or KeyNotFoundException)
        {
            throw SampleException.Configuration(
                $"ConnectionStrings:Outbox is not a valid {settings.Store} connection string: {ex.Message}", ex);
        }
    }

    /// <summary>The connection string the order service and the outbox store (<c>Use…</c> in Program.cs) share.</summary>
    public abstract string ConnectionString { get; }

    /// <summary>Creates a connection for the order service (not opened).</summary>
    public abstract DbConnection CreateConnection();

    /// <summary>Removes what the sample created for itself only (the temporary SQLite file).</summary>
    public virtual void CleanUp()
    {
    }

    // Portable DDL: the same column types work on SQLite, PostgreSQL and SQL Server; money is kept in cents.
    private const string OrderColumns = """
            id               varchar(40)  NOT NULL PRIMARY KEY,
            user_id          varchar(40)  NOT NULL,
            amount_cents     bigint       NOT NULL,
            status           varchar(20)  NOT NULL,
        """;

    private const string ItemColumns = """
            order_id         varchar(40)  NOT NULL REFERENCES orders (id),
            line_no          bigint       NOT NULL,
            product_id       varchar(40)  NOT NULL,
            quantity         bigint       NOT NULL,
            unit_price_cents bigint       NOT NULL,
            PRIMARY KEY (order_id, line_no)
        """;

    private sealed class SqliteSampleDatabase : SampleDatabase
    {
        private readonly string _connectionString;
        private readonly string? _temporaryFile;

        public SqliteSampleDatabase(string? connectionString)
        {
            if (connectionString is null)
            {
                var folder = Path.Combine(Path.GetTempPath(), "orderoutbox-sample");
                Directory.CreateDirectory(folder);
                _temporaryFile = Path.Combine(
                    folder,
                    string.Create(CultureInfo.InvariantCulture, $"orders-{TimeProvider.System.GetUtcNow():yyyyMMdd-HHmmss}-{Environment.ProcessId}.db"));
                connectionString = new SqliteConnectionStringBuilder { DataSource = _temporaryFile }.ToString();
            }

            var builder = new SqliteConnectionStringBuilder(connectionString);
            _connectionString = builder.ToString();
            Description = _temporaryFile is null
                ? $"SQLite {builder.DataSource}"
                : $"SQLite {builder.DataSource} (temporary, deleted at exit)";
        }

        public override string Description { get; }

        public override string CreateOrderTablesSql => $"""
            CREATE TABLE IF NOT EXISTS orders (
            {OrderColumns}
                created_at       text         NOT NULL,
                completed_at     text         NULL
            );
            CREATE TABLE IF NOT EXISTS order_items (
            {ItemColumns}
            );
            """;

        public override string ConnectionString => _connectionString;

        public override DbConnection CreateConnection() => new SqliteConnection(_connectionString);

        public override void CleanUp()
        {
            if (_temporaryFile is null)
            {
                return;
            }

            SqliteConnection.ClearAllPools();
            foreach (var suffix in new[] { string.Empty, "-wal", "-shm", "-journal" })
            {
                try
                {
                    File.Delete(_temporaryFile + suffix);
                }
                catch (IOException)
                {
                    // best effort: a file left in the temp folder is harmless
                }
            }
        }
    }

    private sealed class PostgreSqlSampleDatabase : SampleDatabase
    {
        private readonly string _connectionString;

        public PostgreSqlSampleDatabase(string connectionString)
        {
            var builder = new NpgsqlConnectionStringBuilder(connectionString);
            _connectionString = builder.ConnectionString;
            Description = $"PostgreSQL {builder.Host}:{builder.Port}/{builder.Database}";
        }

        public override string Description { get; }

        public override string CreateOrderTablesSql => $"""
            CREATE TABLE IF NOT EXISTS orders (
            {OrderColumns}
                created_at       timestamptz  NOT NULL,
                completed_at     timestamptz  NULL
            );
            CREATE TABLE IF NOT EXISTS order_items (
            {ItemColumns}
            );
            """;

        public override string ConnectionString => _connectionString;

        public override DbConnection CreateConnection() => new NpgsqlConnection(_connectionString);
    }

    private sealed class SqlServerSampleDatabase : SampleDatabase
    {
        private readonly string _connectionString;

        public SqlServerSampleDatabase(string connectionString)
        {
            var builder = new SqlConnectionStringBuilder(connectionString);
            _connectionString = builder.ConnectionString;
            Description = $"SQL Server {builder.DataSource}/{builder.InitialCatalog}";
        }

        public override string Description { get; }

        public override string CreateOrderTablesSql => $"""
            IF OBJECT_ID(N'orders', N'U') IS NULL
            CREATE TABLE orders (
            {OrderColumns}
                created_at       datetimeoffset NOT NULL,
                completed_at     datetimeoffset NULL
            );
            IF OBJECT_ID(N'order_items', N'U') IS NULL
            CREATE TABLE order_items (
            {ItemColumns}
            );
            """;

        public override string ConnectionString => _connectionString;

        public override DbConnection CreateConnection() => new SqlConnection(_connectionString);
    }
}
