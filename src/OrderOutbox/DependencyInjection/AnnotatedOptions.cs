using System.ComponentModel.DataAnnotations;
using System.Globalization;
using System.Reflection;

namespace OrderOutbox.DependencyInjection;

/// <summary>
/// Runs the data annotations of an options object and words each failure as
/// <c>Type.Property = value: what is allowed</c>, so a start-up error names the option, its value and the allowed range.
/// </summary>
internal static class AnnotatedOptions
{
    /// <summary>Validates <paramref name="instance"/>'s annotated properties; returns whether all were valid.</summary>
    public static bool Validate(object instance, string prefix, List<string> failures)
    {
        var results = new List<ValidationResult>();
        if (Validator.TryValidateObject(instance, new ValidationContext(instance), results, validateAllProperties: true))
        {
            return true;
        }

        foreach (ValidationResult result in results)
        {
            string? member = result.MemberNames.FirstOrDefault();
            if (member is null)
            {
                failures.Add($"{prefix}: {result.ErrorMessage}");
                continue;
            }

            object? value = instance.GetType().GetProperty(member, BindingFlags.Public | BindingFlags.Instance)?.GetValue(instance);
            failures.Add($"{prefix}.{member} = {Format(value)}: {result.ErrorMessage}");
        }

        return false;
    }

    /// <summary>Formats an option value for an error message.</summary>
    public static string Format(object? value) => value switch
    {
        null => "null",
        string s => s.Length > 120 ? $"'{s[..120]}…' ({s.Length} characters)" : $"'{s}'",
        TimeSpan t => t.ToString("c", CultureInfo.InvariantCulture),
        IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
        _ => value.ToString() ?? string.Empty,
    };
}
