using System.CommandLine;
using System.CommandLine.Parsing;
using System.Globalization;
using OrderOutbox.Storage;

namespace OrderOutbox.Cli;

/// <summary>
/// Parsers and validators of option values (pure): each error names the option, the value given and what is allowed,
/// and System.CommandLine reports it as a usage error (exit code 2).
/// </summary>
internal static class CliInput
{
    /// <summary>Parses an ISO 8601 date and time; without an offset it is UTC.</summary>
    public static bool TryParseTime(string text, out DateTimeOffset value)
        => DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out value);

    public static Option<DateTimeOffset?> TimeOption(string name, string description) => new(name)
    {
        Description = description + " ISO 8601, UTC unless an offset is given (2026-05-01, 2026-05-01T12:00:00Z, 2026-05-01T14:00+02:00).",
        HelpName = "time",
        CustomParser = result =>
        {
            string text = result.Tokens.Count > 0 ? result.Tokens[0].Value : string.Empty;
            if (TryParseTime(text, out DateTimeOffset value))
            {
                return value;
            }

            result.AddError($"{name} '{text}': not a date and time; use ISO 8601, for example 2026-05-01T00:00:00Z.");
            return null;
        },
    };

    public static Option<int> RangeOption(string name, string description, int defaultValue, int min, int max)
    {
        var option = new Option<int>(name)
        {
            Description = $"{description} From {min:N0} to {max:N0}.",
            DefaultValueFactory = _ => defaultValue,
            HelpName = "n",
        };
        option.Validators.Add(result =>
        {
            int value = result.GetValueOrDefault<int>();
            if (value < min || value > max)
            {
                result.AddError(string.Create(CultureInfo.InvariantCulture, $"{name} {value}: must be from {min:N0} to {max:N0}."));
            }
        });
        return option;
    }

    public static void RequireIdentifier(OptionResult result, string name)
    {
        string? value = result.GetValueOrDefault<string?>();
        if (value is not null && !SqlIdentifier.IsValid(value))
        {
            result.AddError($"{name} '{value}': must match {SqlIdentifier.Pattern} (a letter or underscore, then up to 62 letters, digits or underscores).");
        }
    }

    public static void RequireStore(OptionResult result)
    {
        string? value = result.GetValueOrDefault<string?>();
        if (StoreKinds.Parse(value) is null)
        {
            result.AddError($"--store '{value}': must be {StoreKinds.Allowed}.");
        }
    }
}
