using System.Diagnostics.Metrics;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using OrderOutbox;
using OrderOutbox.DependencyInjection;
using OrderOutbox.Diagnostics;
using OrderOutbox.Hosting;
using OrderOutbox.Processing;
using OrderOutbox.Writing;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers OrderOutbox in a service collection.</summary>
/// <remarks>
/// Every default is registered with <c>TryAdd</c>, so a service you register yourself wins whether you register it
/// before <c>AddOrderOutbox</c> or after it (the last registration of a single service is the one resolved):
/// <see cref="IBackoffPolicy"/>, <see cref="IDispatcher"/>, <see cref="IOutboxWriter"/>, <see cref="IOutboxProcessor"/>,
/// <see cref="TimeProvider"/> and <see cref="OutboxWakeUp"/>. The background dispatcher is registered once however
/// often this is called.
/// </remarks>
public static class OrderOutboxServiceCollectionExtensions
{
    /// <summary>
    /// Registers the outbox engine: options (validated at start-up), the writer, the backoff policy, the processor and
    /// the background dispatcher. Then choose a store (<c>UsePostgreSql</c>, <c>UseSqlServer</c> or <c>UseSqlite</c>)
    /// and a dispatcher (<c>UseHttpDispatcher</c>) on the returned builder.
    /// </summary>
    /// <param name="services">The service collection.</param>
    /// <param name="configure">Configures <see cref="OutboxOptions"/>, or <see langword="null"/> for the defaults.</param>
    /// <returns>The builder.</returns>
    public static OrderOutboxBuilder AddOrderOutbox(this IServiceCollection services, Action<OutboxOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        var optionsBuilder = services.AddOptions<OutboxOptions>();
        if (configure is not null)
        {
            optionsBuilder.Configure(configure);
        }

        return AddCore(services, optionsBuilder);
    }

    /// <summary>Registers the outbox engine with options bound from <paramref name="configuration"/> (for example the <c>OrderOutbox</c> section).</summary>
    /// <param name="services">The service collection.</param>
    /// <param name="configuration">The configuration section to bind <see cref="OutboxOptions"/> from.</param>
    /// <returns>The builder.</returns>
    public static OrderOutboxBuilder AddOrderOutbox(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configuration);
        return AddCore(services, services.AddOptions<OutboxOptions>().Bind(configuration));
    }

    private static OrderOutboxBuilder AddCore(IServiceCollection services, OptionsBuilder<OutboxOptions> optionsBuilder)
    {
        // The validator runs the data annotations (also of the nested Backoff options), the cross-field rules and the
        // registration checks, with messages that name the option, its value and the allowed range.
        optionsBuilder.ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<OutboxOptions>, OutboxOptionsValidator>());

        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<OutboxWakeUp>();
        services.TryAddSingleton<OutboxDispatcherHeartbeat>();
        services.TryAddSingleton<IBackoffPolicy, ExponentialBackoffPolicy>();
        services.TryAddSingleton(static sp => new OutboxMetrics(sp.GetService<IMeterFactory>()));
        services.TryAddSingleton(static sp => new OutboxEntryFactory(
            sp.GetRequiredService<IOptions<OutboxOptions>>(), sp.GetRequiredService<TimeProvider>(), sp.GetRequiredService<OutboxMetrics>(), sp.GetService<IOutboxRouter>()));
        services.TryAddSingleton<IOutboxWriter, OutboxWriter>();
        services.TryAddSingleton<IOutboxProcessor, OutboxProcessor>();
        services.AddHostedService<OutboxDispatcherService>();
        services.AddHostedService<OutboxBacklogGauges>();
        return new OrderOutboxBuilder(services);
    }
}
