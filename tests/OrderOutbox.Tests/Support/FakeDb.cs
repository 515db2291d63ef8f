using System.Data;
using System.Data.Common;
using System.Diagnostics.CodeAnalysis;

namespace OrderOutbox.Tests.Support;

/// <summary>A connection that only has a state: enough for the writer's guard clauses.</summary>
internal sealed class FakeDbConnection : DbConnection
{
    private ConnectionState _state;

    public FakeDbConnection(ConnectionState state = ConnectionState.Open) => _state = state;

    [AllowNull]
    public override string ConnectionString { get; set; } = string.Empty;

    public override string Database => "fake";

    public override string DataSource => "fake";

    public override string ServerVersion => "1";

    public override ConnectionState State => _state;

    public override void ChangeDatabase(string databaseName) => throw new NotSupportedException();

    public override void Close() => _state = ConnectionState.Closed;

    public override void Open() => _state = ConnectionState.Open;

    protected override DbTransaction BeginDbTransaction(IsolationLevel isolationLevel) => new FakeDbTransaction(this);

    protected override DbCommand CreateDbCommand() => throw new NotSupportedException();
}

/// <summary>A transaction over a <see cref="FakeDbConnection"/>; after commit its connection is null, as with real providers.</summary>
internal sealed class FakeDbTransaction : DbTransaction
{
    private DbConnection? _connection;

    public FakeDbTransaction(DbConnection? connection) => _connection = connection;

    public override IsolationLevel IsolationLevel => IsolationLevel.ReadCommitted;

    protected override DbConnection? DbConnection => _connection;

    public override void Commit() => _connection = null;

    public override void Rollback() => _connection = null;
}
