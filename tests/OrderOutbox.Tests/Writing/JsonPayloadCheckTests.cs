using System.Text;
using FluentAssertions;
using OrderOutbox.Writing;
using Xunit;

namespace OrderOutbox.Tests.Writing;

public sealed class JsonPayloadCheckTests
{
    /// <summary>(JSON text, the expected error's part or null when valid).</summary>
    public static TheoryData<string, string?> Cases => new()
    {
        { """{"a":1}""", null },
        { "  {\n\t\"b\" : [ 1 , 2 ] }\r\n ", null },
        { "[]", null },
        { "\"just a string\"", null },
        { "12.5e3", null },
        { "true", null },
        { "null", null },
        { """{"dup":1,"dup":2}""", null },
        { """{"deep":{"x":[{"y":"\u00e9\uD83D\uDE00"}]}}""", null },
        { "", "empty" },
        { "   \n ", "empty" },
        { """{"a":1""", "line 1" },
        { """{"a":1,}""", "line 1, byte 8" },
        { "{\n\"a\":tru}", "line 2" },
        { """{"a":1} {"b":2}""", "line 1" },
        { """{"a":1} x""", "line 1" },
        { "// comment\n{}", "line 1, byte 1" },
        { "{'a':1}", "line 1, byte 2" },
        { "NaN", "line 1" },
        { "\uFEFF{}", "byte order mark" },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void Bytes_are_accepted_only_when_they_are_exactly_one_JSON_value(string json, string? expected)
    {
        string? error = JsonPayloadCheck.Check(Encoding.UTF8.GetBytes(json));

        if (expected is null)
        {
            error.Should().BeNull();
        }
        else
        {
            error.Should().NotBeNull().And.Contain(expected);
        }
    }

    [Fact]
    public void Invalid_UTF8_is_refused_with_its_byte_offset()
    {
        byte[] bytes = [(byte)'{', (byte)'"', (byte)'a', (byte)'"', (byte)':', (byte)'"', 0xC3, 0x28, (byte)'"', (byte)'}'];

        Action act = () => OutboxJson.FromUtf8(bytes);

        act.Should().Throw<ArgumentException>().Which.ParamName.Should().Be("utf8Json");
    }

    [Fact]
    public void A_string_with_an_unpaired_surrogate_is_refused_with_its_index()
    {
        Action act = () => OutboxJson.FromString("{\"a\":\"\uD800\"}");

        act.Should().Throw<ArgumentException>().Which.Should().Match<ArgumentException>(e => e.ParamName == "json" && e.Message.Contains("index 6"));
    }

    [Fact]
    public void The_text_is_kept_exactly_and_its_UTF8_length_counted()
    {
        const string json = "{ \"note\" : \"주문 🎉\" }";

        OutboxJson fromString = OutboxJson.FromString(json);
        OutboxJson fromBytes = OutboxJson.FromUtf8(Encoding.UTF8.GetBytes(json));

        fromString.Json.Should().BeSameAs(json);
        fromBytes.Json.Should().Be(json);
        fromBytes.Utf8Length.Should().Be(Encoding.UTF8.GetByteCount(json)).And.Be(fromString.Utf8Length);
    }

    [Fact]
    public void Not_JSON_is_refused_naming_the_parameter_and_the_position()
    {
        Action bytes = () => OutboxJson.FromUtf8(Encoding.UTF8.GetBytes("{\"a\":1,\n\"b\":}"));
        Action text = () => OutboxJson.FromString(null!);

        ArgumentException error = bytes.Should().Throw<ArgumentException>().Which;
        error.ParamName.Should().Be("utf8Json");
        error.Message.Should().Contain("line 2");
        text.Should().Throw<ArgumentNullException>().Which.ParamName.Should().Be("json");
    }
}
