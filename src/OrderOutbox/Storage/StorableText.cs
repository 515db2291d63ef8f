using OrderOutbox.Internal;

namespace OrderOutbox.Storage;

/// <summary>
/// Makes free text storable in every store (for store implementers): PostgreSQL <c>text</c> refuses U+0000, and other
/// control characters break log lines and JSON readers. Every store passes the failure text of an outcome
/// (<c>last_error</c>) and the headers of a new record through <see cref="Escape"/>, the same rule the engine applies.
/// </summary>
public static class StorableText
{
    /// <summary>
    /// Replaces U+0000 to U+001F (except tab, line feed and carriage return) and U+007F by the six characters
    /// <c>\uXXXX</c>. Inside a JSON string that escape means the same character, so escaped headers stay valid JSON with
    /// the same values.
    /// </summary>
    /// <param name="text">The text, or <see langword="null"/>.</param>
    /// <returns>The same instance when nothing needed escaping (or <see langword="null"/>).</returns>
    public static string? Escape(string? text) => OutboxText.EscapeControlCharacters(text);
}
