using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using OrderOutbox;
using OrderOutbox.Hosting;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers OrderOutbox in a service collection.</summary>
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
        optionsBuilder.ValidateDataAnnotations().ValidateOnStart();
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<OutboxWakeUp>();
        services.TryAddSingleton<IBackoffPolicy, ExponentialBackoffPolicy>();
        return new OrderOutboxBuilder(services);
    }
}
