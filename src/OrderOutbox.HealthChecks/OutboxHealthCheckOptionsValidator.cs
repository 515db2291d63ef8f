using Microsoft.Extensions.Options;
using OrderOutbox.DependencyInjection;

namespace OrderOutbox.HealthChecks;

/// <summary>
/// Validates <see cref="OutboxHealthCheckOptions"/> at start-up: the ranges of the data annotations, and that
/// <see cref="OutboxHealthCheckOptions.MaxCycleAge"/> is longer than the dispatcher's polling interval (an idle
/// dispatcher completes one cycle per interval, so a shorter bound would report a healthy dispatcher as stuck).
/// </summary>
internal sealed class OutboxHealthCheckOptionsValidator(IOptions<OutboxOptions> outboxOptions) : IValidateOptions<OutboxHealthCheckOptions>
{
    public ValidateOptionsResult Validate(string? name, OutboxHealthCheckOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        List<string> failures = Collect(options, outboxOptions.Value);
        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }

    /// <summary>Every problem of <paramref name="options"/> (empty when they are valid).</summary>
    internal static List<string> Collect(OutboxHealthCheckOptions options, OutboxOptions outbox)
    {
        var failures = new List<string>();
        AnnotatedOptions.Validate(options, nameof(OutboxHealthCheckOptions), failures);
        if (options.CheckDispatcher && outbox.RunDispatcher && options.MaxCycleAge <= outbox.PollingInterval)
        {
            failures.Add(
                $"OutboxHealthCheckOptions.MaxCycleAge = {AnnotatedOptions.Format(options.MaxCycleAge)} must be longer than " +
                $"OutboxOptions.PollingInterval = {AnnotatedOptions.Format(outbox.PollingInterval)}: an idle dispatcher completes one cycle per polling interval.");
        }

        return failures;
    }
}
