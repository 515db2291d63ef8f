using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;
using OrderOutbox.HealthChecks;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers the outbox health check: <c>builder.Services.AddHealthChecks().AddOrderOutbox(o =&gt; …)</c>.</summary>
public static class OrderOutboxHealthChecksBuilderExtensions
{
    /// <summary>The default registration name: <c>orderoutbox</c>.</summary>
    public const string DefaultName = "orderoutbox";

    /// <summary>
    /// Adds a health check of the outbox: <b>unhealthy</b> (or <paramref name="failureStatus"/>) when the store cannot be
    /// reached or this host's dispatcher has not completed a cycle within <see cref="OutboxHealthCheckOptions.MaxCycleAge"/>;
    /// <b>degraded</b> when the oldest due record is older than <see cref="OutboxHealthCheckOptions.MaxOldestDueAge"/> or
    /// there are more dead letters than <see cref="OutboxHealthCheckOptions.MaxDeadLetters"/>; healthy otherwise. The
    /// result's data carries the counts (<c>due</c>, <c>pending</c>, <c>failed</c>, <c>leased</c>, <c>dead_letter</c>,
    /// <c>oldest_due_age_seconds</c>, <c>last_cycle_age_seconds</c>, …). The options are validated when the host starts.
    /// Needs <c>AddOrderOutbox().Use…()</c> (a store) in the same container.
    /// </summary>
    /// <param name="builder">The health checks builder.</param>
    /// <param name="configure">Configures the thresholds, or <see langword="null"/> for the defaults.</param>
    /// <param name="name">The registration name (also the options name); default <c>orderoutbox</c>.</param>
    /// <param name="failureStatus">The status reported when unhealthy; <see langword="null"/> for <see cref="HealthStatus.Unhealthy"/>.</param>
    /// <param name="tags">Tags to filter checks by (for example <c>ready</c>), or <see langword="null"/>.</param>
    /// <returns>The builder.</returns>
    public static IHealthChecksBuilder AddOrderOutbox(
        this IHealthChecksBuilder builder,
        Action<OutboxHealthCheckOptions>? configure = null,
        string name = DefaultName,
        HealthStatus? failureStatus = null,
        IEnumerable<string>? tags = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        OptionsBuilder<OutboxHealthCheckOptions> options = builder.Services.AddOptions<OutboxHealthCheckOptions>(name);
        if (configure is not null)
        {
            options.Configure(configure);
        }

        return AddCore(builder, options, name, failureStatus, tags);
    }

    /// <summary>Adds the outbox health check with its options bound from <paramref name="configuration"/>.</summary>
    /// <param name="builder">The health checks builder.</param>
    /// <param name="configuration">The section to bind <see cref="OutboxHealthCheckOptions"/> from.</param>
    /// <param name="name">The registration name (also the options name); default <c>orderoutbox</c>.</param>
    /// <param name="failureStatus">The status reported when unhealthy; <see langword="null"/> for <see cref="HealthStatus.Unhealthy"/>.</param>
    /// <param name="tags">Tags to filter checks by, or <see langword="null"/>.</param>
    /// <returns>The builder.</returns>
    public static IHealthChecksBuilder AddOrderOutbox(
        this IHealthChecksBuilder builder,
        IConfiguration configuration,
        string name = DefaultName,
        HealthStatus? failureStatus = null,
        IEnumerable<string>? tags = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(configuration);
        return AddCore(builder, builder.Services.AddOptions<OutboxHealthCheckOptions>(name).Bind(configuration), name, failureStatus, tags);
    }

    private static IHealthChecksBuilder AddCore(
        IHealthChecksBuilder builder, OptionsBuilder<OutboxHealthCheckOptions> options, string name, HealthStatus? failureStatus, IEnumerable<string>? tags)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        options.ValidateOnStart();
        builder.Services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<OutboxHealthCheckOptions>, OutboxHealthCheckOptionsValidator>());
        return builder.Add(new HealthCheckRegistration(
            name,
            sp => new OutboxHealthCheck(sp, sp.GetRequiredService<IOptionsMonitor<OutboxHealthCheckOptions>>(), name),
            failureStatus,
            tags));
    }
}
