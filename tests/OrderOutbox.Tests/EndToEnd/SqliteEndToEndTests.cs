namespace OrderOutbox.Tests.EndToEnd;

/// <summary>The end-to-end suite over SQLite (always runs).</summary>
public sealed class SqliteEndToEndTests(SqliteEndToEndFixture fixture) : EndToEndTests<SqliteEndToEndFixture>(fixture);
