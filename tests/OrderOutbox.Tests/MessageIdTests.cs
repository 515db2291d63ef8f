using FluentAssertions;
using Microsoft.Extensions.Time.Testing;
using Xunit;

namespace OrderOutbox.Tests;

public sealed class MessageIdTests
{
    [Fact]
    public void Ids_are_version_7_with_the_rfc_variant_and_carry_their_timestamp()
    {
        var now = new DateTimeOffset(2026, 3, 1, 12, 0, 0, 456, TimeSpan.Zero);

        Guid id = MessageId.NewId(now);

        string text = id.ToString();
        text[14].Should().Be('7');
        "89ab".Should().Contain(text[19].ToString());
        MessageId.GetTimestamp(id).Should().Be(now);
    }

    [Fact]
    public void Ids_sort_by_creation_time()
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 3, 1, 0, 0, 0, TimeSpan.Zero));
        var ids = new List<Guid>();
        for (int i = 0; i < 100; i++)
        {
            ids.Add(MessageId.NewId(time));
            time.Advance(TimeSpan.FromMilliseconds(1));
        }

        ids.Select(i => i.ToString()).Should().BeInAscendingOrder(StringComparer.Ordinal);
        ids.Should().OnlyHaveUniqueItems();
    }

    [Fact]
    public void Ids_of_the_same_millisecond_are_unique()
    {
        var now = DateTimeOffset.UtcNow;

        Enumerable.Range(0, 1000).Select(_ => MessageId.NewId(now)).Should().OnlyHaveUniqueItems();
    }

    [Fact]
    public void Times_before_the_unix_epoch_are_refused()
    {
        Action act = () => MessageId.NewId(new DateTimeOffset(1969, 12, 31, 0, 0, 0, TimeSpan.Zero));

        act.Should().Throw<ArgumentOutOfRangeException>();
    }
}
