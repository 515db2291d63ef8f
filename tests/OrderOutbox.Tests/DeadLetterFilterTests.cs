using FluentAssertions;
using Xunit;

namespace OrderOutbox.Tests;

public sealed class DeadLetterFilterTests
{
    private static readonly DateTimeOffset T0 = new(2030, 1, 1, 0, 0, 0, TimeSpan.Zero);

    public static TheoryData<string, DeadLetterFilter, string[]> Invalid => new()
    {
        { "blank type", new DeadLetterFilter { MessageType = "  " }, ["DeadLetterFilter.MessageType", "'  '", "1 to 200 characters", "not blank"] },
        { "empty type", new DeadLetterFilter { MessageType = "" }, ["DeadLetterFilter.MessageType", "0 characters"] },
        { "long type", new DeadLetterFilter { MessageType = new string('t', 201) }, ["DeadLetterFilter.MessageType", "201 characters", "1 to 200"] },
        { "blank aggregate", new DeadLetterFilter { AggregateId = "\t" }, ["DeadLetterFilter.AggregateId", "1 to 450"] },
        { "long aggregate", new DeadLetterFilter { AggregateId = new string('a', 451) }, ["DeadLetterFilter.AggregateId", "451 characters"] },
        { "empty error text", new DeadLetterFilter { LastErrorContains = "" }, ["DeadLetterFilter.LastErrorContains", "1 to 1000 characters"] },
        { "long error text", new DeadLetterFilter { LastErrorContains = new string('e', 1001) }, ["DeadLetterFilter.LastErrorContains", "1001 characters"] },
        { "created range reversed", new DeadLetterFilter { CreatedFrom = T0.AddHours(1), CreatedBefore = T0 }, ["DeadLetterFilter.CreatedFrom (2030-01-01T01:00:00.0000000+00:00)", "DeadLetterFilter.CreatedBefore (2030-01-01T00:00:00.0000000+00:00)", "earlier"] },
        { "created range empty", new DeadLetterFilter { CreatedFrom = T0, CreatedBefore = T0 }, ["CreatedFrom", "CreatedBefore", "match nothing"] },
        { "attempt range reversed", new DeadLetterFilter { LastAttemptFrom = T0.AddSeconds(1), LastAttemptBefore = T0 }, ["DeadLetterFilter.LastAttemptFrom", "DeadLetterFilter.LastAttemptBefore"] },
        { "no ids", new DeadLetterFilter { Ids = [] }, ["DeadLetterFilter.Ids", "0 IDs", "1 to 10,000"] },
        { "too many ids", new DeadLetterFilter { Ids = Enumerable.Range(0, 10_001).Select(_ => Guid.NewGuid()).ToArray() }, ["DeadLetterFilter.Ids", "10001 IDs"] },
    };

    [Theory]
    [MemberData(nameof(Invalid))]
    public void An_invalid_filter_is_refused_with_the_field_the_value_and_the_allowed_range(string because, DeadLetterFilter filter, string[] expected)
    {
        ArgumentException error = FluentActions.Invoking(() => filter.Validate()).Should().Throw<ArgumentException>(because).Which;

        error.ParamName.Should().Be("filter");
        foreach (string part in expected)
        {
            error.Message.Should().Contain(part, because);
        }
    }

    public static TheoryData<DeadLetterFilter> Valid => new()
    {
        DeadLetterFilter.All,
        new DeadLetterFilter { MessageType = "order.completed", AggregateId = "o-1", LastErrorContains = " " },
        new DeadLetterFilter { CreatedFrom = T0, CreatedBefore = T0.AddTicks(1), LastAttemptFrom = T0 },
        new DeadLetterFilter { CreatedBefore = T0, LastAttemptBefore = T0, Ids = [Guid.NewGuid()] },
        new DeadLetterFilter { MessageType = new string('t', 200), AggregateId = new string('a', 450), LastErrorContains = new string('e', 1000) },
    };

    [Theory]
    [MemberData(nameof(Valid))]
    public void A_valid_filter_passes(DeadLetterFilter filter) => FluentActions.Invoking(() => filter.Validate()).Should().NotThrow();

    public static TheoryData<string, DeadLetterFilter, bool> Matching => new()
    {
        { "no condition", DeadLetterFilter.All, true },
        { "same type", new DeadLetterFilter { MessageType = "order.completed" }, true },
        { "type differs in case", new DeadLetterFilter { MessageType = "Order.Completed" }, false },
        { "same aggregate", new DeadLetterFilter { AggregateId = "o-1" }, true },
        { "other aggregate", new DeadLetterFilter { AggregateId = "o-2" }, false },
        { "created at the From bound", new DeadLetterFilter { CreatedFrom = T0 }, true },
        { "created before From", new DeadLetterFilter { CreatedFrom = T0.AddTicks(1) }, false },
        { "created at the Before bound", new DeadLetterFilter { CreatedBefore = T0 }, false },
        { "created just before Before", new DeadLetterFilter { CreatedBefore = T0.AddTicks(1) }, true },
        { "attempted at the From bound", new DeadLetterFilter { LastAttemptFrom = T0.AddHours(1) }, true },
        { "attempted at the Before bound", new DeadLetterFilter { LastAttemptBefore = T0.AddHours(1) }, false },
        { "error contains", new DeadLetterFilter { LastErrorContains = "503" }, true },
        { "error contains, other case", new DeadLetterFilter { LastErrorContains = "service" }, false },
        { "error wildcard is literal", new DeadLetterFilter { LastErrorContains = "5_3" }, false },
        { "named id", new DeadLetterFilter { Ids = [Record.Id] }, true },
        { "other id", new DeadLetterFilter { Ids = [Guid.NewGuid()] }, false },
    };

    [Theory]
    [MemberData(nameof(Matching))]
    public void Matches_follows_every_condition(string because, DeadLetterFilter filter, bool expected)
        => filter.Matches(Record).Should().Be(expected, because);

    [Fact]
    public void Only_dead_letters_match()
    {
        foreach (OutboxStatus status in new[] { OutboxStatus.Pending, OutboxStatus.Sent, OutboxStatus.Failed })
        {
            DeadLetterFilter.All.Matches(new OutboxMessage { Id = Record.Id, MessageType = "t", Payload = "{}", Status = status }).Should().BeFalse();
        }
    }

    [Fact]
    public void A_record_never_attempted_matches_no_attempt_range()
        => new DeadLetterFilter { LastAttemptBefore = T0.AddYears(1) }
            .Matches(new OutboxMessage { Id = Guid.NewGuid(), MessageType = "t", Payload = "{}", Status = OutboxStatus.DeadLetter, LastAttemptAt = null })
            .Should().BeFalse();

    private static OutboxMessage Record { get; } = new()
    {
        Id = MessageId.NewId(T0),
        MessageType = "order.completed",
        AggregateId = "o-1",
        Payload = "{}",
        Status = OutboxStatus.DeadLetter,
        CreatedAt = T0,
        LastAttemptAt = T0.AddHours(1),
        LastError = "HTTP 503 Service Unavailable",
    };
}
