using FluentAssertions;
using OrderOutbox.Storage;
using Xunit;

namespace OrderOutbox.Tests.Storage;

/// <summary>The one rule for message types and aggregate IDs that the writer and every store apply.</summary>
public sealed class OutboxEntryRulesTests
{
    public static TheoryData<string, string?> Storable => new()
    {
        { "order.completed", "order-1" },
        { new string('t', OutboxLimits.MaxMessageTypeLength), new string('a', OutboxLimits.MaxAggregateIdLength) },
        { "주문.완료", "주문-1" },
        { "order.🎉", "👩‍👩‍👧‍👦" },
        { "order.completed", null },
        { "order.completed", string.Empty },
        { "  padded  ", "  " },
    };

    /// <summary>(message type, aggregate ID, parts the message must contain).</summary>
    public static TheoryData<string, string?, string[]> Unstorable => new()
    {
        { new string('t', 201), null, ["message type", "201 characters", "at most 200", "OutboxLimits.MaxMessageTypeLength"] },
        { "order.completed", new string('a', 451), ["aggregate ID", "451 characters", "at most 450", "OutboxLimits.MaxAggregateIdLength"] },
        { "order\0completed", null, ["message type 'order\\u0000completed'", "U+0000 at index 5"] },
        { "order.completed", "o\u001B-1", ["aggregate ID 'o\\u001B-1'", "U+001B at index 1"] },
        { "order.completed", "o-1\u009F", ["U+009F at index 3"] },
        { "order\uD83D", null, ["unpaired surrogate U+D83D at index 5"] },
        { "order.completed", "\uDE00x", ["unpaired surrogate U+DE00 at index 0"] },
        { new string('t', 300) + "\0", null, ["301 characters", "…"] },
    };

    [Theory]
    [MemberData(nameof(Storable))]
    public void Storable_keys_pass(string messageType, string? aggregateId)
    {
        Action act = () => OutboxEntryRules.Validate(Entry(messageType, aggregateId), "entry");

        act.Should().NotThrow();
    }

    [Theory]
    [MemberData(nameof(Unstorable), DisableDiscoveryEnumeration = true)] // lone surrogates do not survive serialisation of discovered rows
    public void Unstorable_keys_are_refused_with_a_message_that_says_what_and_where(string messageType, string? aggregateId, string[] parts)
    {
        Action act = () => OutboxEntryRules.Validate(Entry(messageType, aggregateId), "entry");

        ArgumentException error = act.Should().Throw<ArgumentException>().Which;
        error.ParamName.Should().Be("entry");
        foreach (string part in parts)
        {
            error.Message.Should().Contain(part);
        }

        error.Message.Should().NotContain("\0", "the message itself must be printable");
    }

    [Theory]
    [InlineData("")]
    [InlineData(" \t ")]
    public void A_blank_message_type_is_refused(string messageType)
    {
        Action act = () => OutboxEntryRules.ValidateMessageType(messageType, nameof(messageType));

        act.Should().Throw<ArgumentException>().WithParameterName(nameof(messageType)).WithMessage("*1 to 200 characters*");
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-1)]
    [InlineData(OutboxLimits.MaxPurgeBatchSize + 1)]
    public void A_purge_batch_size_out_of_range_is_refused_naming_the_range_and_the_value(int batchSize)
    {
        Action act = () => OutboxLimits.ThrowIfPurgeBatchSizeOutOfRange(batchSize, nameof(batchSize));

        act.Should().Throw<ArgumentOutOfRangeException>().WithParameterName(nameof(batchSize))
            .Which.Message.Should().Contain("1 to 2,000").And.Contain("it was " + batchSize.ToString("N0", System.Globalization.CultureInfo.InvariantCulture));
    }

    [Theory]
    [InlineData(1)]
    [InlineData(OutboxLimits.MaxPurgeBatchSize)]
    public void A_purge_batch_size_in_range_passes(int batchSize)
    {
        Action act = () => OutboxLimits.ThrowIfPurgeBatchSizeOutOfRange(batchSize, nameof(batchSize));

        act.Should().NotThrow();
    }

    [Fact]
    public void StorableText_escapes_what_PostgreSQL_refuses_and_keeps_everything_else()
    {
        StorableText.Escape("a\0b\u0001c\u007F\td\r\ne 한국어 🎉").Should().Be("a\\u0000b\\u0001c\\u007F\td\r\ne 한국어 🎉");
        string clean = "HTTP 503 Service Unavailable";
        StorableText.Escape(clean).Should().BeSameAs(clean);
        StorableText.Escape(null).Should().BeNull();
    }

    private static OutboxEntry Entry(string messageType, string? aggregateId)
        => new(Guid.NewGuid(), messageType, aggregateId, "{}", null, DateTimeOffset.UnixEpoch);
}
