using System.Text.RegularExpressions;

namespace OrderOutbox.Storage;

/// <summary>
/// Validates SQL identifiers that come from options (schema and table names) before any SQL is built.
/// Values are never concatenated into SQL unchecked: a valid identifier is then quoted by the store.
/// </summary>
public static partial class SqlIdentifier
{
    /// <summary>The allowed shape: a letter or underscore, then letters, digits or underscores; 1 to 63 characters.</summary>
    public const string Pattern = "^[A-Za-z_][A-Za-z0-9_]{0,62}$";

    /// <summary>Returns <paramref name="value"/> if it is a valid identifier; otherwise throws naming the option.</summary>
    /// <param name="value">The identifier.</param>
    /// <param name="optionName">The option it came from, for example <c>PostgreSqlOutboxOptions.TableName</c>.</param>
    /// <returns><paramref name="value"/>.</returns>
    /// <exception cref="ArgumentException">The identifier is null, empty or does not match <see cref="Pattern"/>.</exception>
    public static string Validate(string? value, string optionName)
    {
        if (value is null || !IdentifierRegex().IsMatch(value))
        {
            throw new ArgumentException(
                $"{optionName} = '{value}' is not a valid SQL identifier: it must match {Pattern} " +
                "(a letter or underscore, then letters, digits or underscores, at most 63 characters).",
                optionName);
        }

        return value;
    }

    /// <summary>Whether <paramref name="value"/> is a valid identifier.</summary>
    /// <param name="value">The identifier.</param>
    /// <returns><see langword="true"/> if it matches <see cref="Pattern"/>.</returns>
    public static bool IsValid(string? value) => value is not null && IdentifierRegex().IsMatch(value);

    [GeneratedRegex(Pattern, RegexOptions.CultureInvariant)]
    private static partial Regex IdentifierRegex();
}
