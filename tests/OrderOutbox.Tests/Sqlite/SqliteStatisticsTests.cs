using FluentAssertions;
using Microsoft.Data.Sqlite;
using OrderOutbox.Sqlite;
using Xunit;

namespace OrderOutbox.Tests.Sqlite;

/// <summary>The statistics read the partial indexes only (SQLite's plan names them and scans no table).</summary>
public sealed class SqliteStatisticsTests(SqliteOutboxStoreFixture fixture) : IClassFixture<SqliteOutboxStoreFixture>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task The_statistics_plan_reads_only_the_partial_indexes()
    {
        string table = SqliteTestDatabase.NewTableName();
        var store = new SqliteOutboxStore(new SqliteOutboxOptions { ConnectionString = fixture.ConnectionString, TableName = table });
        await store.EnsureSchemaAsync(Ct);
        await using SqliteConnection connection = await store.OpenAsync(Ct);
        await using SqliteCommand explain = connection.CreateCommand();
        explain.CommandText = "EXPLAIN QUERY PLAN " + store.Sql.Statistics;
        explain.Parameters.AddWithValue("@now", 0L);
        var details = new List<string>();
        await using (SqliteDataReader reader = await explain.ExecuteReaderAsync(Ct))
        {
            while (await reader.ReadAsync(Ct))
            {
                details.Add(reader.GetString(3));
            }
        }

        details.Should().Contain(d => d.Contains($"ix_{table}_due", StringComparison.Ordinal));
        details.Should().Contain(d => d.Contains($"ix_{table}_dead_letter", StringComparison.Ordinal));
        details.Should().NotContain(d => d == "SCAN " + table || d == $"SCAN \"{table}\"", "a plain table scan would read the whole history:\n" + string.Join('\n', details));
    }
}
