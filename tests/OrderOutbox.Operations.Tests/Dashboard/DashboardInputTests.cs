using FluentAssertions;
using OrderOutbox.Dashboard;

namespace OrderOutbox.Operations.Tests.Dashboard;

public sealed class DashboardInputTests
{
    private static readonly DateTimeOffset Now = new(2026, 6, 1, 12, 0, 0, TimeSpan.Zero);

    [Theory]
    [InlineData(null, 50, null)]
    [InlineData("", 50, null)]
    [InlineData("1", 1, null)]
    [InlineData("1000", 1000, null)]
    [InlineData("0", 0, "limit = '0': must be a whole number from 1 to 1000.")]
    [InlineData("1001", 0, "limit = '1001': must be a whole number from 1 to 1000.")]
    [InlineData("-5", 0, "limit = '-5': must be a whole number from 1 to 1000.")]
    [InlineData("ten", 0, "limit = 'ten': must be a whole number from 1 to 1000.")]
    public void Limit(string? text, int expected, string? error)
    {
        Parsed<int> parsed = DashboardInput.Limit(text, 50);

        parsed.Error.Should().Be(error);
        if (error is null)
        {
            parsed.Value.Should().Be(expected);
        }
    }

    [Theory]
    [InlineData("2026-05-31T00:00:00Z", null)]
    [InlineData("2026-06-01T12:00:00Z", null)]
    [InlineData("2026-06-01T14:00:00+02:00", null)]
    [InlineData("2026-06-01T12:00:01Z", "must not be later than now (2026-06-01T12:00:00Z)")]
    [InlineData("soon", "sentBefore = 'soon': must be a date and time")]
    [InlineData("", "sentBefore = '': must be a date and time")]
    [InlineData(null, "sentBefore = '': must be a date and time")]
    public void SentBefore(string? text, string? error)
    {
        Parsed<DateTimeOffset> parsed = DashboardInput.SentBefore(text, Now);

        if (error is null)
        {
            parsed.Error.Should().BeNull();
            parsed.Value.Should().BeOnOrBefore(Now);
        }
        else
        {
            parsed.Error.Should().Contain(error);
        }
    }

    [Fact]
    public void Ids_are_deduplicated_and_bounded()
    {
        string id = Guid.NewGuid().ToString();

        DashboardInput.Ids([id, id.ToUpperInvariant()]).Value.Should().ContainSingle();
        DashboardInput.Ids(null).Error.Should().Be("ids = 0 IDs: select from 1 to 1000 dead letters.");
        DashboardInput.Ids(Enumerable.Repeat(id, 1001).ToList()).Error.Should().Be("ids = 1001 IDs: select from 1 to 1000 dead letters.");
        DashboardInput.Ids([id, null]).Error.Should().Be("ids contains '': every entry must be a message ID (a UUID).");
    }

    [Theory]
    [InlineData(null, null)]
    [InlineData("0196f3c2-0000-7000-8000-000000000000", null)]
    [InlineData("x", "after = 'x': must be the ID (a UUID) of the last record of the previous page, or empty for the first page.")]
    public void After(string? text, string? error) => DashboardInput.After(text).Error.Should().Be(error);
}
