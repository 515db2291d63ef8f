using System.Globalization;
using System.Text;
using System.Text.Json;

namespace OrderOutbox.Writing;

/// <summary>
/// Whether UTF-8 bytes are exactly one JSON value, read with <see cref="Utf8JsonReader"/> (no document is built): a pure
/// function, the error text naming the line and the byte where reading stopped.
/// </summary>
internal static class JsonPayloadCheck
{
    /// <summary>UTF-8 without a byte order mark that throws on invalid bytes or unpaired surrogates.</summary>
    internal static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    /// <summary>Reading options: the JSON of RFC 8259 only (no comments, no trailing commas), depth as System.Text.Json's default.</summary>
    private static readonly JsonReaderOptions ReaderOptions = new()
    {
        CommentHandling = JsonCommentHandling.Disallow,
        AllowTrailingCommas = false,
    };

    /// <summary>Checks <paramref name="utf8"/>.</summary>
    /// <param name="utf8">The bytes.</param>
    /// <returns><see langword="null"/> when the bytes are one valid JSON value; otherwise the reason and the position.</returns>
    internal static string? Check(ReadOnlySpan<byte> utf8)
    {
        if (utf8.Length >= 3 && utf8[0] == 0xEF && utf8[1] == 0xBB && utf8[2] == 0xBF)
        {
            return "The JSON payload starts with a UTF-8 byte order mark (EF BB BF); remove it: the payload is sent as it is, and receivers may refuse it.";
        }

        if (utf8.TrimStart(" \t\r\n"u8).IsEmpty)
        {
            return "The JSON payload is empty or white space only; it must be one JSON value (for example an object).";
        }

        var reader = new Utf8JsonReader(utf8, ReaderOptions);
        try
        {
            reader.Read();
            reader.Skip();

            // Only white space may follow the value: a second value or any other byte is an error.
            if (reader.Read())
            {
                return Position("holds more than one JSON value", reader.BytesConsumed);
            }

            return null;
        }
        catch (JsonException ex)
        {
            return string.Create(
                CultureInfo.InvariantCulture,
                $"The JSON payload is not valid JSON at line {(ex.LineNumber ?? 0) + 1}, byte {(ex.BytePositionInLine ?? 0) + 1} of that line (after {reader.BytesConsumed:N0} bytes read): {ex.Message}");
        }
    }

    private static string Position(string what, long offset)
        => string.Create(CultureInfo.InvariantCulture, $"The JSON payload {what} (at byte offset {offset:N0}); it must be exactly one JSON value.");
}
