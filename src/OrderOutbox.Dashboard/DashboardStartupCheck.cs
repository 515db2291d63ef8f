using Microsoft.AspNetCore.Authorization;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace OrderOutbox.Dashboard;

/// <summary>
/// Runs when the host starts: fails the start when a named policy is not registered or no outbox store is, warns
/// when anonymous access is on, and reports a dashboard that will refuse every request because nothing was chosen.
/// </summary>
internal sealed partial class DashboardStartupCheck : IHostedService
{
    private readonly IServiceProvider _services;
    private readonly IOptions<OrderOutboxDashboardOptions> _options;
    private readonly ILogger<DashboardStartupCheck> _logger;

    public DashboardStartupCheck(IServiceProvider services, IOptions<OrderOutboxDashboardOptions> options, ILogger<DashboardStartupCheck> logger)
    {
        _services = services;
        _options = options;
        _logger = logger;
    }

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        OrderOutboxDashboardOptions options = _options.Value;
        if (_services.GetService<IOutboxAdmin>() is null)
        {
            throw new InvalidOperationException(
                "The OrderOutbox dashboard needs an outbox store: call AddOrderOutbox().UsePostgreSql(…), UseSqlServer(…) or UseSqlite(…).");
        }

        await RequirePolicyAsync(options.AuthorizationPolicy, nameof(OrderOutboxDashboardOptions.AuthorizationPolicy)).ConfigureAwait(false);
        await RequirePolicyAsync(options.PayloadAuthorizationPolicy, nameof(OrderOutboxDashboardOptions.PayloadAuthorizationPolicy)).ConfigureAwait(false);
        if (options.AllowAnonymous)
        {
            LogAnonymousAccess();
        }
        else if (options.AuthorizationPolicy is null)
        {
            LogNoPolicy();
        }
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    private async Task RequirePolicyAsync(string? policy, string option)
    {
        if (policy is null)
        {
            return;
        }

        IAuthorizationPolicyProvider? provider = _services.GetService<IAuthorizationPolicyProvider>();
        if (provider is null || await provider.GetPolicyAsync(policy).ConfigureAwait(false) is null)
        {
            throw new InvalidOperationException(
                $"OrderOutboxDashboardOptions.{option} = '{policy}': no authorization policy of that name is registered; " +
                $"add it with builder.Services.AddAuthorization(o => o.AddPolicy(\"{policy}\", p => …)).");
        }
    }
}
