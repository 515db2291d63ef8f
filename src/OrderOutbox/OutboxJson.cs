using System.Text;
using OrderOutbox.Writing;

namespace OrderOutbox;

/// <summary>
/// A payload that is already serialised JSON, enqueued without a parse/serialise round trip: it is stored and sent
/// byte for byte as given (no re-indenting, no re-escaping, property order kept).
/// </summary>
/// <remarks>
/// <para>
/// The text is checked once, when the value is created: it must be valid UTF-8 (or, from a <see cref="string"/>, valid
/// UTF-16 with no unpaired surrogate) holding exactly one JSON value (an object, an array, a string, a number,
/// <c>true</c>, <c>false</c> or <c>null</c>) with only white space around it — no comments, no trailing commas, no
/// byte order mark. The check reads the JSON with <see cref="System.Text.Json.Utf8JsonReader"/> and builds no document.
/// </para>
/// <para>
/// Enqueue it with <see cref="IOutboxWriter.EnqueueJsonAsync(System.Data.Common.DbTransaction, string, ReadOnlyMemory{byte}, string?, CancellationToken)"/>,
/// with <see cref="IOutboxWriter.EnqueueAsync{T}(System.Data.Common.DbTransaction, string, T, string?, CancellationToken)"/>
/// (<c>T</c> = <see cref="OutboxJson"/>), or in a bulk enqueue as <see cref="OutboxItem{T}"/> of <see cref="OutboxJson"/>.
/// <see cref="OutboxOptions.MaxPayloadBytes"/> applies to its UTF-8 length. It always needs an explicit message type.
/// </para>
/// </remarks>
public sealed class OutboxJson
{
    private OutboxJson(string json, int utf8Length)
    {
        Json = json;
        Utf8Length = utf8Length;
    }

    /// <summary>The JSON text, exactly as given.</summary>
    public string Json { get; }

    /// <summary>The length of the JSON in UTF-8 bytes (what <see cref="OutboxOptions.MaxPayloadBytes"/> limits).</summary>
    public int Utf8Length { get; }

    /// <summary>Wraps UTF-8 JSON bytes, checked as described on <see cref="OutboxJson"/>.</summary>
    /// <param name="utf8Json">The UTF-8 bytes of one JSON value; they are copied, so the caller may reuse the buffer.</param>
    /// <returns>The payload.</returns>
    /// <exception cref="ArgumentException">The bytes are not valid UTF-8 or not one valid JSON value; the message gives the position.</exception>
    public static OutboxJson FromUtf8(ReadOnlyMemory<byte> utf8Json) => FromUtf8(utf8Json, nameof(utf8Json));

    /// <summary>Wraps a JSON string, checked as described on <see cref="OutboxJson"/>.</summary>
    /// <param name="json">The text of one JSON value.</param>
    /// <returns>The payload.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="json"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException">The text is not one valid JSON value, or holds an unpaired surrogate; the message gives the position.</exception>
    public static OutboxJson FromString(string json) => FromString(json, nameof(json));

    /// <summary>The JSON text.</summary>
    /// <returns><see cref="Json"/>.</returns>
    public override string ToString() => Json;

    internal static OutboxJson FromUtf8(ReadOnlyMemory<byte> utf8Json, string paramName)
    {
        ReadOnlySpan<byte> span = utf8Json.Span;
        string? error = JsonPayloadCheck.Check(span);
        if (error is not null)
        {
            throw new ArgumentException(error, paramName);
        }

        string text;
        try
        {
            text = JsonPayloadCheck.StrictUtf8.GetString(span);
        }
        catch (DecoderFallbackException ex)
        {
            throw new ArgumentException($"The JSON payload is not valid UTF-8 at byte offset {ex.Index}: {ex.Message}", paramName, ex);
        }

        return new OutboxJson(text, span.Length);
    }

    internal static OutboxJson FromString(string json, string paramName)
    {
        if (json is null)
        {
            throw new ArgumentNullException(paramName, "The JSON payload must not be null.");
        }

        byte[] utf8;
        try
        {
            utf8 = JsonPayloadCheck.StrictUtf8.GetBytes(json);
        }
        catch (EncoderFallbackException ex)
        {
            throw new ArgumentException(
                $"The JSON payload holds an unpaired surrogate at character index {ex.Index}; it is not valid Unicode text and cannot be sent as UTF-8.",
                paramName,
                ex);
        }

        string? error = JsonPayloadCheck.Check(utf8);
        if (error is not null)
        {
            throw new ArgumentException(error, paramName);
        }

        return new OutboxJson(json, utf8.Length);
    }
}
