using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using OrderOutbox.Dashboard;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>
/// Registers the OrderOutbox dashboard: <c>builder.Services.AddOrderOutboxDashboard(o =&gt; o.AuthorizationPolicy = "OutboxOperators")</c>,
/// then <c>app.MapOrderOutboxDashboard("/outbox")</c>.
/// </summary>
public static class OrderOutboxDashboardServiceCollectionExtensions
{
    /// <summary>
    /// Registers the dashboard's options (validated when the host starts), antiforgery, and a start-up check that the
    /// named authorization policies exist and that warns when anonymous access is on. The dashboard reads and changes
    /// the outbox through the <see cref="OrderOutbox.IOutboxAdmin"/> that <c>AddOrderOutbox().UsePostgreSql(…)</c>,
    /// <c>UseSqlServer(…)</c> or <c>UseSqlite(…)</c> registers.
    /// </summary>
    /// <param name="services">The application's services.</param>
    /// <param name="configure">Sets the options; at least <see cref="OrderOutboxDashboardOptions.AuthorizationPolicy"/> (or, for local development, <see cref="OrderOutboxDashboardOptions.AllowAnonymous"/>).</param>
    /// <returns>The services.</returns>
    public static IServiceCollection AddOrderOutboxDashboard(this IServiceCollection services, Action<OrderOutboxDashboardOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configure);
        return AddCore(services, services.AddOptions<OrderOutboxDashboardOptions>().Configure(configure));
    }

    /// <summary>Registers the dashboard with its options bound from <paramref name="configuration"/> (for example the <c>OrderOutbox:Dashboard</c> section).</summary>
    /// <param name="services">The application's services.</param>
    /// <param name="configuration">The configuration section to bind.</param>
    /// <returns>The services.</returns>
    public static IServiceCollection AddOrderOutboxDashboard(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configuration);
        return AddCore(services, services.AddOptions<OrderOutboxDashboardOptions>().Bind(configuration));
    }

    private static IServiceCollection AddCore(IServiceCollection services, OptionsBuilder<OrderOutboxDashboardOptions> options)
    {
        options.ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<OrderOutboxDashboardOptions>, OrderOutboxDashboardOptionsValidator>());
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<DashboardMarker>();
        services.TryAddTransient<DashboardEndpoints>();
        services.AddAntiforgery();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IHostedService, DashboardStartupCheck>());
        return services;
    }
}
