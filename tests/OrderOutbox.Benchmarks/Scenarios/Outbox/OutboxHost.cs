using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace OrderOutbox.Benchmarks.Scenarios;

/// <summary>Builds a generic host wired the way a user wires OrderOutbox (AddOrderOutbox → Use… store → UseHttpDispatcher).</summary>
internal static class OutboxHost
{
    /// <summary>
    /// Options every benchmark host shares, before the scenario's own: a lease long enough for any batch at any
    /// concurrency (the options validator asks for more than DispatchTimeout × (2 × ceil(batch / concurrency) + 1)).
    /// </summary>
    private static void Common(OutboxOptions o)
    {
        o.LeaseDuration = TimeSpan.FromHours(23);
        o.DispatchTimeout = TimeSpan.FromSeconds(10);
    }

    /// <summary>
    /// A PostgreSQL host. <paramref name="defaults"/>: the library's defaults (only schema, table and the scenario's own
    /// <paramref name="configure"/>/<paramref name="store"/>/<paramref name="http"/> changes), else <see cref="Common"/> and
    /// <paramref name="notifications"/> apply first. <paramref name="store"/> and <paramref name="http"/> run last.
    /// </summary>
    public static IHost PostgreSql(string connectionString, string schema, string table, Uri endpoint, Action<OutboxOptions> configure, bool notifications, bool defaults = false, Action<IServiceCollection>? services = null,
        Action<OrderOutbox.PostgreSql.PostgreSqlOutboxOptions>? store = null, Action<OrderOutbox.Dispatching.HttpDispatcherOptions>? http = null)
    {
        var builder = NewBuilder();
        services?.Invoke(builder.Services);
        builder.Services
            .AddOrderOutbox(o =>
            {
                if (!defaults)
                {
                    Common(o);
                }

                configure(o);
            })
            .UsePostgreSql(connectionString, p =>
            {
                p.Schema = schema;
                p.TableName = table;
                p.EnsureSchemaOnStartup = true;
                if (!defaults)
                {
                    p.UseNotifications = notifications;
                }

                store?.Invoke(p);
            })
            .UseHttpDispatcher(h =>
            {
                h.Endpoint = endpoint;
                http?.Invoke(h);
            });
        return builder.Build();
    }

    public static IHost Sqlite(string connectionString, string table, Uri endpoint, Action<OutboxOptions> configure)
    {
        var builder = NewBuilder();
        builder.Services
            .AddOrderOutbox(o =>
            {
                Common(o);
                configure(o);
            })
            .UseSqlite(connectionString, p =>
            {
                p.TableName = table;
                p.EnsureSchemaOnStartup = true;
            })
            .UseHttpDispatcher(h => h.Endpoint = endpoint);
        return builder.Build();
    }

    private static HostApplicationBuilder NewBuilder()
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true, EnvironmentName = "Production" });
        builder.Logging.ClearProviders();
        builder.Logging.AddSimpleConsole(c => c.SingleLine = true).SetMinimumLevel(LogLevel.Warning);
        builder.Services.Configure<HostOptions>(h => h.ShutdownTimeout = TimeSpan.FromSeconds(30));
        return builder;
    }
}
