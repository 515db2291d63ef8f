using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using OrderOutbox.Processing;

namespace OrderOutbox.DependencyInjection;

/// <summary>
/// Validates <see cref="OutboxOptions"/> at host start: every annotated range (also of the nested
/// <see cref="OutboxOptions.Backoff"/>), the cross-field rules, and that a store and a dispatcher are registered.
/// </summary>
internal sealed class OutboxOptionsValidator : IValidateOptions<OutboxOptions>
{
    private readonly IServiceProviderIsService? _isService;

    public OutboxOptionsValidator(IServiceProviderIsService? isService = null) => _isService = isService;

    /// <inheritdoc />
    public ValidateOptionsResult Validate(string? name, OutboxOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var failures = new List<string>();
        bool rangesValid = AnnotatedOptions.Validate(options, nameof(OutboxOptions), failures);

        if (options.InstanceId is not null && string.IsNullOrWhiteSpace(options.InstanceId))
        {
            failures.Add($"{nameof(OutboxOptions)}.{nameof(OutboxOptions.InstanceId)} = {AnnotatedOptions.Format(options.InstanceId)}: must be null (machine name, process ID and a random suffix) or 1 to 100 non-blank characters.");
        }

        if (options.JsonSerializerOptions is null)
        {
            failures.Add($"{nameof(OutboxOptions)}.{nameof(OutboxOptions.JsonSerializerOptions)} = null: a serializer options instance is required (default JsonSerializerDefaults.Web).");
        }

        if (options.Backoff is null)
        {
            failures.Add($"{nameof(OutboxOptions)}.{nameof(OutboxOptions.Backoff)} = null: backoff options are required.");
        }
        else
        {
            BackoffOptions backoff = options.Backoff;
            const string prefix = nameof(OutboxOptions) + "." + nameof(OutboxOptions.Backoff);
            if (AnnotatedOptions.Validate(backoff, prefix, failures))
            {
                ValidateGrowth(
                    failures, prefix, (nameof(BackoffOptions.Multiplier), backoff.Multiplier),
                    (nameof(BackoffOptions.InitialDelay), backoff.InitialDelay), (nameof(BackoffOptions.MaxDelay), backoff.MaxDelay));
            }
        }

        if (options.Circuit is null)
        {
            failures.Add($"{nameof(OutboxOptions)}.{nameof(OutboxOptions.Circuit)} = null: circuit options are required.");
        }
        else
        {
            CircuitOptions circuit = options.Circuit;
            const string prefix = nameof(OutboxOptions) + "." + nameof(OutboxOptions.Circuit);
            if (AnnotatedOptions.Validate(circuit, prefix, failures))
            {
                ValidateGrowth(
                    failures, prefix, (nameof(CircuitOptions.ProbeMultiplier), circuit.ProbeMultiplier),
                    (nameof(CircuitOptions.ProbeInterval), circuit.ProbeInterval), (nameof(CircuitOptions.MaxProbeInterval), circuit.MaxProbeInterval));
                if (circuit.FailureRatio is { } ratio && !double.IsFinite(ratio))
                {
                    failures.Add($"{prefix}.{nameof(CircuitOptions.FailureRatio)} = {AnnotatedOptions.Format(ratio)}: must be null or a number from 0.01 to 1.");
                }
            }
        }

        if (rangesValid)
        {
            // The engine cuts claims to what its workers can start within a lease (LeaseBudget), so only one call and
            // its outcome write must fit in a lease, whatever BatchSize and MaxConcurrency are.
            TimeSpan minimumLease = LeaseBudget.StartMargin(options.DispatchTimeout);
            if (options.LeaseDuration < minimumLease)
            {
                failures.Add(
                    $"{nameof(OutboxOptions)}.{nameof(OutboxOptions.LeaseDuration)} = {AnnotatedOptions.Format(options.LeaseDuration)}: must be at least " +
                    $"{AnnotatedOptions.Format(minimumLease)} = DispatchTimeout ({AnnotatedOptions.Format(options.DispatchTimeout)}) + the time kept for writing the outcome " +
                    $"({AnnotatedOptions.Format(LeaseBudget.WriteAllowance(options.DispatchTimeout))}: the DispatchTimeout, at most 5 s), so one call and its outcome write fit in a lease " +
                    "(allowed up to 1.00:00:00). Raise LeaseDuration or lower DispatchTimeout.");
            }
        }

        if (_isService is not null)
        {
            if (!_isService.IsService(typeof(IOutboxStore)))
            {
                failures.Add(
                    "No outbox store is registered (IOutboxStore): call UsePostgreSql(…), UseSqlServer(…) or UseSqlite(…) on the builder returned by AddOrderOutbox " +
                    "(packages OrderOutbox.PostgreSql, OrderOutbox.SqlServer, OrderOutbox.Sqlite), or register your own IOutboxStore.");
            }

            if (options.RunDispatcher && !_isService.IsService(typeof(IDispatcher)))
            {
                failures.Add(
                    "No dispatcher is registered (IDispatcher) while OutboxOptions.RunDispatcher = True: call UseHttpDispatcher(…) on the builder returned by AddOrderOutbox, " +
                    "register your own IDispatcher, or set OutboxOptions.RunDispatcher = false in a host that only enqueues.");
            }
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }

    /// <summary>The rules of a growing delay: a finite multiplier (1 to 10), and a first delay no longer than the cap.</summary>
    private static void ValidateGrowth(
        List<string> failures, string prefix, (string Name, double Value) multiplier, (string Name, TimeSpan Value) first, (string Name, TimeSpan Value) cap)
    {
        if (!double.IsFinite(multiplier.Value))
        {
            failures.Add($"{prefix}.{multiplier.Name} = {AnnotatedOptions.Format(multiplier.Value)}: must be a number from 1 to 10.");
        }

        if (first.Value > cap.Value)
        {
            failures.Add($"{prefix}.{first.Name} = {AnnotatedOptions.Format(first.Value)}: must not exceed {prefix}.{cap.Name} = {AnnotatedOptions.Format(cap.Value)}.");
        }
    }
}
