namespace OrderOutbox.Tests.EndToEnd;

/// <summary>The end-to-end suite over SQL Server (skipped unless <c>ORDEROUTBOX_TEST_SQLSERVER</c> is set).</summary>
public sealed class SqlServerEndToEndTests(SqlServerEndToEndFixture fixture) : EndToEndTests<SqlServerEndToEndFixture>(fixture);
