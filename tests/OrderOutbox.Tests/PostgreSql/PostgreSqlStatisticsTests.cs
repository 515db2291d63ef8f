using FluentAssertions;
using Microsoft.Extensions.Time.Testing;
using Npgsql;
using OrderOutbox.PostgreSql;
using Xunit;

namespace OrderOutbox.Tests.PostgreSql;

/// <summary>
/// The statistics stay cheap on a long history: the plan reads the partial indexes only (never the table's SENT rows),
/// and SENT is the planner's estimate of the partial SENT index.
/// </summary>
public sealed class PostgreSqlStatisticsTests(PostgreSqlOutboxStoreFixture fixture) : IClassFixture<PostgreSqlOutboxStoreFixture>
{
    private const int SentRows = 20_000;
    private static readonly DateTimeOffset Now = new(2030, 6, 1, 0, 0, 0, TimeSpan.Zero);

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task With_a_long_sent_history_the_plan_reads_only_the_partial_indexes_and_sent_is_estimated()
    {
        PostgreSqlOutboxStore store = fixture.CreatePostgreSqlStore(null, new FakeTimeProvider(Now), out PostgreSqlOutboxOptions options);
        await store.EnsureSchemaAsync(Ct);
        string table = $"\"{fixture.Schema}\".\"{options.TableName}\"";
        await fixture.ExecuteScalarAsync(
            $"INSERT INTO {table} (id, message_type, payload, status, retry_count, next_attempt_at, created_at, last_attempt_at, sent_at) " +
            "SELECT gen_random_uuid(), 'order.completed', '{}', 'SENT', 0, t, t, t, t " +
            $"FROM generate_series(1, {SentRows}) AS g(i), LATERAL (SELECT timestamptz '2030-01-01' + g.i * interval '1 second') AS x(t);" +
            $"INSERT INTO {table} (id, message_type, payload, status, retry_count, next_attempt_at, created_at) " +
            "SELECT gen_random_uuid(), 'order.completed', '{}', s, 0, timestamptz '2030-05-31' + g.i * interval '1 minute', timestamptz '2030-05-31' " +
            "FROM generate_series(1, 30) AS g(i), unnest(ARRAY['PENDING', 'FAILED', 'DEAD_LETTER']) AS s;" +
            $"ANALYZE {table};",
            Ct);

        List<string> plan = await ExplainAsync(store);

        string text = string.Join('\n', plan);
        text.Should().Contain(store.DueIndexName, "the backlog counts read the partial index of due records");
        text.Should().Contain(options.TableName + "_dead_letter_idx", "the dead-letter count reads the partial dead-letter index");
        plan.Should().NotContain(line => line.Contains("Seq Scan on " + options.TableName, StringComparison.Ordinal), "no statement may scan the SENT history:\n" + text);

        OutboxStatistics stats = await store.GetStatisticsAsync(Ct);
        stats.Pending.Should().Be(30);
        stats.Failed.Should().Be(30);
        stats.DeadLetter.Should().Be(30);
        stats.Due.Should().Be(60, "every PENDING and FAILED record was due before the clock's time");
        stats.OldestDueAge.Should().Be(Now - new DateTimeOffset(2030, 5, 31, 0, 1, 0, TimeSpan.Zero));
        stats.SentEstimate.Should().NotBeNull().And.BeInRange(SentRows * 95L / 100, SentRows * 105L / 100, "ANALYZE estimated the partial SENT index");
    }

    private async Task<List<string>> ExplainAsync(PostgreSqlOutboxStore store)
    {
        await using NpgsqlConnection connection = await fixture.DataSource.OpenConnectionAsync(Ct);
        await using var explain = new NpgsqlCommand("EXPLAIN " + store.StatisticsSql, connection)
        {
            Parameters =
            {
                new NpgsqlParameter<DateTimeOffset> { TypedValue = Now },
                new NpgsqlParameter<string> { TypedValue = store.QualifiedSentIndexName },
            },
        };
        var plan = new List<string>();
        await using NpgsqlDataReader reader = await explain.ExecuteReaderAsync(Ct);
        while (await reader.ReadAsync(Ct))
        {
            plan.Add(reader.GetString(0));
        }

        return plan;
    }
}
