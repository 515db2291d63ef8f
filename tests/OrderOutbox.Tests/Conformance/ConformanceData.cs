using Xunit;

namespace OrderOutbox.Tests.Conformance;

/// <summary>Theory data of the conformance suites (static members cannot live on the generic suites).</summary>
public static class ConformanceData
{
    /// <summary>Payloads that must round-trip byte for byte: Unicode, odd JSON spacing and ordering, escapes.</summary>
    public static TheoryData<string> Payloads => new()
    {
        """{"customer":"김민준","note":"주문이 완료되었습니다 🎉","family":"👩‍👩‍👧‍👦","flag":"🇰🇷"}""",
        "{  \"zeta\" : 1 ,\n\t\"alpha\":[ 1,2 , 3 ]  ,\"m\":{ }   ,\"amount\":12.50}",
        """{"quote":"\"","backslash":"\\","newline":"\n","tab":"\t","unicode":"\u00e9\u4e2d\uD83D\uDE00","slash":"\/","control":"\u0001"}""",
        """{"big":123456789012345678901234567890,"exp":1.0E+2,"negZero":-0.0,"dup":1,"dup":2}""",
        "{\"a\":1}\r\n  ",
        "[]",
        "\"a bare string with 'single' quotes and a % sign\"",
    };

    /// <summary>Table and schema names a store must refuse before any SQL runs.</summary>
    public static TheoryData<string> HostileNames => new()
    {
        "x; drop table y",
        "outbox\"; drop table y; --",
        "outbox messages",
        "1outbox",
        "",
        "outbox-messages",
        "outbox]",
        "outbox`",
        "ｏｕｔｂｏｘ",
        new string('a', 64),
    };

    /// <summary>
    /// Message types and aggregate IDs every store refuses with an <see cref="ArgumentException"/> before any SQL runs:
    /// (field, value, a part of the expected message).
    /// </summary>
    public static TheoryData<string, string, string> UnstorableKeys => new()
    {
        { "messageType", new string('t', 201), "201" },
        { "messageType", "order\0completed", "U+0000" },
        { "messageType", "order.completed\n", "U+000A" },
        { "messageType", "order\u007Fcompleted", "U+007F" },
        { "aggregateId", new string('a', 451), "451" },
        { "aggregateId", "order-1\0", "U+0000" },
        { "aggregateId", "order\t1", "U+0009" },
        { "aggregateId", "order\u0085-1", "U+0085" },
    };
}
