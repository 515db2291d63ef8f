using System.Data;
using System.Data.Common;
using System.Diagnostics.CodeAnalysis;

namespace OrderOutbox.Tests.Support;

/// <summary>
/// A connection that only has a state: enough for the writer's guard clauses, and the "provider" of
/// <see cref="InMemoryOutboxStore"/> (its transactions hold the store's pending inserts until commit).
/// </summary>
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

/// <summary>
/// A transaction over a <see cref="FakeDbConnection"/>; after commit or rollback its connection is null, as with real
/// providers. Work kept <see cref="Pending{T}"/> runs at <see cref="Commit"/> only: a rollback, or a dispose without
/// commit, discards it (what a real provider does with the rows the transaction inserted).
/// </summary>
internal sealed class FakeDbTransaction : DbTransaction
{
    private readonly List<Action> _onCommit = [];
    private readonly Dictionary<object, object> _pending = [];
    private DbConnection? _connection;

    public FakeDbTransaction(DbConnection? connection) => _connection = connection;

    public override IsolationLevel IsolationLevel => IsolationLevel.ReadCommitted;

    protected override DbConnection? DbConnection => _connection;

    /// <summary>
    /// Returns the list of items <paramref name="owner"/> keeps pending on this transaction; on the first call for an owner,
    /// <paramref name="commit"/> is registered to receive the whole list, once, when the transaction commits.
    /// </summary>
    public List<T> Pending<T>(object owner, Action<List<T>> commit)
    {
        if (_connection is null)
        {
            throw new InvalidOperationException("The transaction is already committed or rolled back.");
        }

        if (_pending.TryGetValue(owner, out object? existing))
        {
            return (List<T>)existing;
        }

        var list = new List<T>();
        _pending.Add(owner, list);
        _onCommit.Add(() => commit(list));
        return list;
    }

    public override void Commit()
    {
        if (_connection is null)
        {
            throw new InvalidOperationException("The transaction is already committed or rolled back.");
        }

        _connection = null;
        foreach (Action action in _onCommit)
        {
            action();
        }

        _onCommit.Clear();
        _pending.Clear();
    }

    public override void Rollback()
    {
        _connection = null;
        _onCommit.Clear();
        _pending.Clear();
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            Rollback();
        }

        base.Dispose(disposing);
    }
}
