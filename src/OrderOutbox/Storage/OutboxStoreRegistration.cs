using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace OrderOutbox.Storage;

/// <summary>
/// The registration every <c>UseXxx</c> shares: options validated at start (one validator, however often
/// <c>UseXxx</c> is called), the store as <see cref="IOutboxStore"/> and <see cref="IOutboxAdmin"/>, the clock and the
/// schema initializer — all with TryAdd semantics, so a user's own registration wins.
/// </summary>
internal static class OutboxStoreRegistration
{
    /// <summary>
    /// The options of a <c>UseXxx(connectionString, configure)</c> or <c>UseXxx(dataSource, configure)</c> call:
    /// <paramref name="connectionString"/> (when given) set first, then <paramref name="configure"/>.
    /// </summary>
    /// <typeparam name="TOptions">The store's options.</typeparam>
    /// <param name="builder">The outbox builder.</param>
    /// <param name="connectionString">The connection string, or <see langword="null"/> when the store was given a data source.</param>
    /// <param name="configure">Configures the options, or <see langword="null"/> for the defaults.</param>
    /// <returns>The options builder.</returns>
    public static OptionsBuilder<TOptions> Configure<TOptions>(OrderOutboxBuilder builder, string? connectionString, Action<TOptions>? configure)
        where TOptions : OutboxStoreOptions
    {
        ArgumentNullException.ThrowIfNull(builder);
        OptionsBuilder<TOptions> options = builder.Services.AddOptions<TOptions>();
        if (connectionString is not null)
        {
            options.Configure(o => o.ConnectionString = connectionString);
        }

        if (configure is not null)
        {
            options.Configure(configure);
        }

        return options;
    }

    /// <summary>The options of a <c>UseXxx(IConfiguration)</c> call, bound from <paramref name="configuration"/>.</summary>
    /// <typeparam name="TOptions">The store's options.</typeparam>
    /// <param name="builder">The outbox builder.</param>
    /// <param name="configuration">The configuration section.</param>
    /// <returns>The options builder.</returns>
    public static OptionsBuilder<TOptions> Bind<TOptions>(OrderOutboxBuilder builder, IConfiguration configuration)
        where TOptions : OutboxStoreOptions
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(configuration);
        return builder.Services.AddOptions<TOptions>().Bind(configuration);
    }

    /// <summary>Registers the store <typeparamref name="TStore"/> with its options <typeparamref name="TOptions"/>.</summary>
    /// <typeparam name="TStore">The store.</typeparam>
    /// <typeparam name="TOptions">The store's options.</typeparam>
    /// <param name="builder">The outbox builder.</param>
    /// <param name="options">The options builder the caller configured or bound.</param>
    /// <param name="validator">The options validator (the first one registered is kept).</param>
    /// <param name="createStore">Creates the store from the validated options, the clock and the container.</param>
    /// <returns>The builder.</returns>
    public static OrderOutboxBuilder AddStore<TStore, TOptions>(
        OrderOutboxBuilder builder,
        OptionsBuilder<TOptions> options,
        IValidateOptions<TOptions> validator,
        Func<IServiceProvider, TOptions, TimeProvider, TStore> createStore)
        where TStore : class, IOutboxStore, IOutboxAdmin
        where TOptions : OutboxStoreOptions
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(validator);
        ArgumentNullException.ThrowIfNull(createStore);
        options.ValidateOnStart();
        IServiceCollection services = builder.Services;
        services.TryAddEnumerable(ServiceDescriptor.Singleton(validator));
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton(sp => createStore(
            sp,
            sp.GetRequiredService<IOptions<TOptions>>().Value,
            sp.GetRequiredService<TimeProvider>()));
        services.TryAddSingleton<IOutboxStore>(static sp => sp.GetRequiredService<TStore>());
        services.TryAddSingleton<IOutboxAdmin>(static sp => sp.GetRequiredService<TStore>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IHostedService, OutboxSchemaInitializer<TStore, TOptions>>());
        return builder;
    }
}
