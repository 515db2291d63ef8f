using FluentAssertions;
using OrderOutbox.Internal;
using Xunit;

namespace OrderOutbox.Tests.Internal;

public sealed class OutboxTextTests
{
    [Fact]
    public void Truncation_never_splits_a_surrogate_pair()
    {
        OutboxText.Truncate("ab🧀cd", 3).Should().Be("ab");
        OutboxText.Truncate("ab🧀cd", 4).Should().Be("ab🧀");
        OutboxText.Truncate("short", 10).Should().Be("short");
        OutboxText.Truncate(null, 10).Should().BeEmpty();
    }

    [Theory]
    [InlineData(10_000, "10s")]
    [InlineData(500, "500ms")]
    [InlineData(1_500, "1500ms")]
    [InlineData(120_000, "120s")]
    public void Timeouts_are_worded_compactly(int milliseconds, string expected)
        => OutboxText.FormatDuration(TimeSpan.FromMilliseconds(milliseconds)).Should().Be(expected);

    [Theory]
    [InlineData("err\0x", "err\\u0000x")]
    [InlineData("a\u0001b\u001Fc\u007F", "a\\u0001b\\u001Fc\\u007F")]
    [InlineData("tab\tline\nreturn\r", "tab\tline\nreturn\r")]
    [InlineData("plain ünïcödé 🧀", "plain ünïcödé 🧀")]
    public void Control_characters_are_escaped_and_ordinary_text_is_kept(string input, string expected)
        => OutboxText.EscapeControlCharacters(input).Should().Be(expected);

    [Fact]
    public void Text_without_control_characters_is_returned_as_the_same_instance()
    {
        string text = "500 Internal Server Error";
        OutboxText.EscapeControlCharacters(text).Should().BeSameAs(text);
        OutboxText.EscapeControlCharacters(null).Should().BeNull();
    }

    [Fact]
    public void Storable_text_is_escaped_before_it_is_cut()
        => OutboxText.Storable("\0\0\0", 8).Should().Be("\\u0000\\u");
}
