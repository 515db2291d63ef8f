using System.Globalization;
using System.Text;

namespace OrderOutbox.Internal;

/// <summary>
/// The small text rules the engine, the writer and the HTTP dispatcher share: cutting without splitting a surrogate
/// pair, making a text storable in every store, and writing a duration the way error texts show it.
/// </summary>
internal static class OutboxText
{
    /// <summary>Cuts <paramref name="text"/> to at most <paramref name="max"/> characters without splitting a surrogate pair.</summary>
    /// <param name="text">The text, or <see langword="null"/> (an empty string is returned).</param>
    /// <param name="max">The most characters kept.</param>
    /// <returns>The text, cut.</returns>
    public static string Truncate(string? text, int max)
    {
        if (text is null || text.Length <= max)
        {
            return text ?? string.Empty;
        }

        int length = max > 0 && char.IsHighSurrogate(text[max - 1]) ? max - 1 : max;
        return text[..length];
    }

    /// <summary>Whether <paramref name="c"/> is a control character that a store may refuse or that breaks a log line:
    /// U+0000 to U+001F except tab, line feed and carriage return, and U+007F.</summary>
    /// <param name="c">The character.</param>
    /// <returns><see langword="true"/> when the character is escaped by <see cref="EscapeControlCharacters"/>.</returns>
    public static bool IsUnsafeControl(char c) => (c < ' ' && c != '\t' && c != '\n' && c != '\r') || c == '\u007F';

    /// <summary>Whether <paramref name="text"/> holds any character that <see cref="IsUnsafeControl"/> flags.</summary>
    /// <param name="text">The text.</param>
    /// <returns><see langword="true"/> when at least one such character is present.</returns>
    public static bool HasUnsafeControl(ReadOnlySpan<char> text)
    {
        foreach (char c in text)
        {
            if (IsUnsafeControl(c))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>
    /// Replaces every unsafe control character (see <see cref="IsUnsafeControl"/>) by its escape <c>\uXXXX</c>, so the
    /// text is storable in PostgreSQL <c>text</c> (which refuses U+0000), SQL Server and SQLite alike.
    /// </summary>
    /// <param name="text">The text, or <see langword="null"/>.</param>
    /// <returns>The same instance when nothing needed escaping.</returns>
    public static string? EscapeControlCharacters(string? text)
    {
        if (text is null || !HasUnsafeControl(text))
        {
            return text;
        }

        var builder = new StringBuilder(text.Length + 16);
        foreach (char c in text)
        {
            if (IsUnsafeControl(c))
            {
                builder.Append("\\u").Append(((int)c).ToString("X4", CultureInfo.InvariantCulture));
            }
            else
            {
                builder.Append(c);
            }
        }

        return builder.ToString();
    }

    /// <summary>Escapes unsafe control characters, then cuts to <paramref name="max"/> characters: the form of every
    /// failure text written to <c>last_error</c>.</summary>
    /// <param name="text">The text.</param>
    /// <param name="max">The most characters kept.</param>
    /// <returns>The storable text.</returns>
    public static string Storable(string? text, int max) => Truncate(EscapeControlCharacters(text), max);

    /// <summary>Writes a duration as whole seconds (<c>10s</c>) or milliseconds (<c>1500ms</c>).</summary>
    /// <param name="value">The duration.</param>
    /// <returns>The text.</returns>
    public static string FormatDuration(TimeSpan value)
    {
        if (value.Ticks % TimeSpan.TicksPerSecond == 0)
        {
            return ((long)value.TotalSeconds).ToString(CultureInfo.InvariantCulture) + "s";
        }

        return value.TotalMilliseconds.ToString("0.###", CultureInfo.InvariantCulture) + "ms";
    }
}
