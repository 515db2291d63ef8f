using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using OrderOutbox;
using OrderOutbox.Dispatching;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers the HTTP dispatcher on an <see cref="OrderOutboxBuilder"/>.</summary>
public static class HttpDispatcherBuilderExtensions
{
    /// <summary>
    /// Delivers records by HTTP POST to <see cref="HttpDispatcherOptions.Endpoint"/>, or to the named
    /// <see cref="HttpDispatcherOptions.Endpoints"/> their message types are routed to, through the named client
    /// <see cref="HttpDispatcherOptions.HttpClientName"/>. The client follows no redirects (a redirected POST would
    /// lose its body) and has no timeout of its own (<see cref="OutboxOptions.DispatchTimeout"/> applies); extend it with
    /// <c>services.AddHttpClient(HttpDispatcherOptions.HttpClientName).AddHttpMessageHandler(…)</c>. A dispatcher you
    /// register yourself as <see cref="IDispatcher"/> takes precedence. Also registers the
    /// <see cref="IOutboxRouter"/> of the route table, which the writer asks at enqueue.
    /// </summary>
    /// <param name="builder">The outbox builder.</param>
    /// <param name="configure">Configures the options; <see cref="HttpDispatcherOptions.Endpoint"/> or <see cref="HttpDispatcherOptions.Endpoints"/> is required.</param>
    /// <returns>The builder.</returns>
    public static OrderOutboxBuilder UseHttpDispatcher(this OrderOutboxBuilder builder, Action<HttpDispatcherOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(configure);
        builder.Services.AddOptions<HttpDispatcherOptions>().Configure(configure).ValidateOnStart();
        return AddCore(builder);
    }

    /// <summary>
    /// Delivers records by HTTP POST, with options bound from <paramref name="configuration"/> (for example the
    /// <c>OrderOutbox:Http</c> section). See <see cref="UseHttpDispatcher(OrderOutboxBuilder, Action{HttpDispatcherOptions})"/>.
    /// </summary>
    /// <param name="builder">The outbox builder.</param>
    /// <param name="configuration">The configuration section to bind <see cref="HttpDispatcherOptions"/> from.</param>
    /// <returns>The builder.</returns>
    public static OrderOutboxBuilder UseHttpDispatcher(this OrderOutboxBuilder builder, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(configuration);
        builder.Services.AddOptions<HttpDispatcherOptions>().Bind(configuration).ValidateOnStart();
        return AddCore(builder);
    }

    private static OrderOutboxBuilder AddCore(OrderOutboxBuilder builder)
    {
        IServiceCollection services = builder.Services;
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<HttpDispatcherOptions>, HttpDispatcherOptionsValidator>());
        services
            .AddHttpClient(HttpDispatcherOptions.HttpClientName, static client => client.Timeout = Timeout.InfiniteTimeSpan)
            .ConfigurePrimaryHttpMessageHandler(static () => new SocketsHttpHandler { AllowAutoRedirect = false });
        services.TryAddSingleton<HttpEndpointRegistry>();
        services.TryAddSingleton<IOutboxRouter>(static sp => sp.GetRequiredService<HttpEndpointRegistry>());
        services.TryAddSingleton<IDispatcher, HttpDispatcher>();
        return builder;
    }
}
