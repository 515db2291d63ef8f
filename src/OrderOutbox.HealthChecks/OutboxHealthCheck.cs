using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;
using OrderOutbox.Hosting;

namespace OrderOutbox.HealthChecks;

/// <summary>
/// The outbox health check: reads the store's statistics (bounded by <see cref="OutboxHealthCheckOptions.StoreTimeout"/>)
/// and the dispatcher's heartbeat, and leaves the decision to <see cref="OutboxHealthEvaluation"/>.
/// </summary>
internal sealed class OutboxHealthCheck(IServiceProvider services, IOptionsMonitor<OutboxHealthCheckOptions> optionsMonitor, string name) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(context);
        OutboxHealthCheckOptions options = optionsMonitor.Get(name);
        TimeProvider time = services.GetService<TimeProvider>() ?? TimeProvider.System;
        IOutboxAdmin? admin = services.GetService<IOutboxAdmin>();
        if (admin is null)
        {
            return new HealthCheckResult(
                context.Registration.FailureStatus,
                "No outbox store is registered (IOutboxAdmin): call UsePostgreSql, UseSqlServer or UseSqlite on AddOrderOutbox().");
        }

        OutboxDispatcherHeartbeat? heartbeat = services.GetService<OutboxDispatcherHeartbeat>();
        OutboxOptions outboxOptions = services.GetService<IOptions<OutboxOptions>>()?.Value ?? new OutboxOptions();
        bool dispatcherExpected = options.CheckDispatcher && outboxOptions.RunDispatcher && heartbeat is not null;

        OutboxStatistics? statistics = null;
        Exception? storeError = null;
        using (var timeout = new CancellationTokenSource(options.StoreTimeout, time))
        using (var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, timeout.Token))
        {
            try
            {
                statistics = await admin.GetStatisticsAsync(linked.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (timeout.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
            {
                storeError = new TimeoutException($"The store did not answer within {options.StoreTimeout:c}.");
            }
            catch (Exception ex) when (!cancellationToken.IsCancellationRequested)
            {
                storeError = ex;
            }
        }

        var inputs = new OutboxHealthInputs(
            time.GetUtcNow(),
            statistics,
            storeError,
            dispatcherExpected,
            heartbeat?.LastCompletedCycleAt,
            heartbeat?.CreatedAt ?? time.GetUtcNow(),
            dispatcherExpected ? (services.GetService<IOutboxProcessor>() as Processing.OutboxProcessor)?.Circuits?.OpenEndpoints() : null);
        return OutboxHealthEvaluation.Evaluate(inputs, options, context.Registration.FailureStatus);
    }
}
