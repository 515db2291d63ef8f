using System.Data.Common;
using System.Data;
using System.Diagnostics.CodeAnalysis;
using Xunit;

namespace OrderOutbox.Tests.Conformance;

/// <summary>An open transaction of a provider no store knows: every store must reject it at enqueue.</summary>
internal sealed class ForeignDbTransaction(ForeignDbConnection connection) : DbTransaction
{
    public override IsolationLevel IsolationLevel => IsolationLevel.ReadCommitted;

    protected override DbConnection DbConnection => connection;

    public override void Commit()
    {
    }

    public override void Rollback()
    {
    }
}

/// <summary>A connection of a provider no store knows, always "open"; it runs nothing.</summary>
internal sealed class ForeignDbConnection : DbConnection
{
    [AllowNull]
    public override string ConnectionString { get; set; } = "foreign";

    public override string Database => "foreign";

    public override string DataSource => "foreign";

    public override string ServerVersion => "1.0";

    public override ConnectionState State => ConnectionState.Open;

    public override void ChangeDatabase(string databaseName)
    {
    }

    public override void Close()
    {
    }

    public override void Open()
    {
    }

    protected override DbTransaction BeginDbTransaction(IsolationLevel isolationLevel) => new ForeignDbTransaction(this);

    protected override DbCommand CreateDbCommand() => throw new NotSupportedException("The foreign connection runs no SQL.");
}
