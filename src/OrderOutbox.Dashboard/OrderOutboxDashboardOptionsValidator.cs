using System.ComponentModel.DataAnnotations;
using System.Globalization;
using Microsoft.Extensions.Options;

namespace OrderOutbox.Dashboard;

/// <summary>
/// Validates <see cref="OrderOutboxDashboardOptions"/> when the host starts: the annotated ranges, blank policy names, and
/// that anonymous access and an authorization policy are not both set. Each failure names the option, its value and what is allowed.
/// </summary>
internal sealed class OrderOutboxDashboardOptionsValidator : IValidateOptions<OrderOutboxDashboardOptions>
{
    private const string Prefix = nameof(OrderOutboxDashboardOptions);

    public ValidateOptionsResult Validate(string? name, OrderOutboxDashboardOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var failures = new List<string>();
        var results = new List<ValidationResult>();
        if (!Validator.TryValidateObject(options, new ValidationContext(options), results, validateAllProperties: true))
        {
            foreach (ValidationResult result in results)
            {
                string member = result.MemberNames.FirstOrDefault() ?? "?";
                object? value = typeof(OrderOutboxDashboardOptions).GetProperty(member)?.GetValue(options);
                failures.Add($"{Prefix}.{member} = {Format(value)}: {result.ErrorMessage}");
            }
        }

        CheckPolicyName(options.AuthorizationPolicy, nameof(OrderOutboxDashboardOptions.AuthorizationPolicy), failures);
        CheckPolicyName(options.PayloadAuthorizationPolicy, nameof(OrderOutboxDashboardOptions.PayloadAuthorizationPolicy), failures);
        if (options.AllowAnonymous && options.AuthorizationPolicy is not null)
        {
            failures.Add(
                $"{Prefix}.{nameof(OrderOutboxDashboardOptions.AllowAnonymous)} = true and {Prefix}.{nameof(OrderOutboxDashboardOptions.AuthorizationPolicy)} = {Format(options.AuthorizationPolicy)}: " +
                "choose one, a policy (production) or anonymous access (local development only).");
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }

    private static void CheckPolicyName(string? policy, string option, List<string> failures)
    {
        if (policy is not null && string.IsNullOrWhiteSpace(policy))
        {
            failures.Add($"{Prefix}.{option} = {Format(policy)}: must be null or the name of a registered authorization policy.");
        }
    }

    private static string Format(object? value) => value switch
    {
        null => "null",
        string s => $"'{s}'",
        TimeSpan t => t.ToString("c", CultureInfo.InvariantCulture),
        IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
        _ => value.ToString() ?? string.Empty,
    };
}
