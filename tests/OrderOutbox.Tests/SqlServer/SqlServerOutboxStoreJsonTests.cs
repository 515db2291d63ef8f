using System.Text.Json;
using FluentAssertions;
using OrderOutbox.SqlServer;
using Xunit;

namespace OrderOutbox.Tests.SqlServer;

/// <summary>The JSON arrays the store sends for <c>OPENJSON</c> (outcomes and releases of a batch in one round trip).</summary>
public sealed class SqlServerOutboxStoreJsonTests
{
    private static readonly DateTimeOffset Attempted = new DateTimeOffset(2030, 1, 1, 9, 0, 0, TimeSpan.FromHours(9)).AddTicks(1);

    [Fact]
    public void Outcomes_carry_utc_times_with_seven_fractional_digits_and_only_the_fields_that_apply()
    {
        Guid sentId = Guid.NewGuid(), failedId = Guid.NewGuid(), deadId = Guid.NewGuid();
        string error = "HTTP 503 \"Service\" Unavailable — 다시 \\ 시도\n";
        string json = SqlServerOutboxStore.OutcomesJson(
        [
            new OutboxOutcome(sentId, "owner-1", OutboxStatus.Sent, 2, Attempted, Attempted.AddSeconds(1), null, null),
            new OutboxOutcome(failedId, "owner-1", OutboxStatus.Failed, 3, Attempted, Attempted, Attempted.AddMinutes(4), error),
            new OutboxOutcome(deadId, "owner-2", OutboxStatus.DeadLetter, 4, Attempted, Attempted, null, "HTTP 400"),
        ], "outcomes");

        using JsonDocument document = JsonDocument.Parse(json);
        JsonElement[] items = document.RootElement.EnumerateArray().ToArray();
        items.Should().HaveCount(3);

        items[0].GetProperty("id").GetGuid().Should().Be(sentId);
        items[0].GetProperty("owner").GetString().Should().Be("owner-1");
        items[0].GetProperty("status").GetString().Should().Be("SENT");
        items[0].GetProperty("retry").GetInt32().Should().Be(2);
        items[0].GetProperty("attempted").GetString().Should().Be("2030-01-01T00:00:00.0000001+00:00");
        items[0].GetProperty("sent").GetString().Should().Be("2030-01-01T00:00:01.0000001+00:00");
        items[0].TryGetProperty("next", out _).Should().BeFalse();
        items[0].TryGetProperty("error", out _).Should().BeFalse();

        items[1].GetProperty("status").GetString().Should().Be("FAILED");
        items[1].GetProperty("next").GetString().Should().Be("2030-01-01T00:04:00.0000001+00:00");
        items[1].GetProperty("error").GetString().Should().Be(error);
        items[1].TryGetProperty("sent", out _).Should().BeFalse();

        items[2].GetProperty("status").GetString().Should().Be("DEAD_LETTER");
        items[2].GetProperty("owner").GetString().Should().Be("owner-2");
        items[2].TryGetProperty("sent", out _).Should().BeFalse();
    }

    [Fact]
    public void A_pending_outcome_or_one_without_a_lease_owner_is_refused()
    {
        Action pending = () => SqlServerOutboxStore.OutcomesJson(
            [new OutboxOutcome(Guid.NewGuid(), "o", OutboxStatus.Pending, 0, Attempted, Attempted, null, null)], "outcomes");
        Action noOwner = () => SqlServerOutboxStore.OutcomesJson(
            [new OutboxOutcome(Guid.NewGuid(), "", OutboxStatus.Sent, 0, Attempted, Attempted, null, null)], "outcomes");

        pending.Should().Throw<ArgumentException>().WithParameterName("outcomes");
        noOwner.Should().Throw<ArgumentException>().WithParameterName("outcomes");
    }

    [Fact]
    public void Releases_list_only_messages_that_hold_a_lease()
    {
        OutboxMessage held = Message("claim-7");
        OutboxMessage notHeld = Message(null);

        string? json = SqlServerOutboxStore.LeasesJson([held, notHeld], "messages");

        using JsonDocument document = JsonDocument.Parse(json!);
        JsonElement item = document.RootElement.EnumerateArray().Should().ContainSingle().Subject;
        item.GetProperty("id").GetGuid().Should().Be(held.Id);
        item.GetProperty("owner").GetString().Should().Be("claim-7");
        SqlServerOutboxStore.LeasesJson([notHeld], "messages").Should().BeNull();
        SqlServerOutboxStore.LeasesJson([], "messages").Should().BeNull();
    }

    private static OutboxMessage Message(string? owner) => new()
    {
        Id = Guid.NewGuid(),
        MessageType = "order.completed",
        Payload = "{}",
        LeaseOwner = owner,
    };
}
