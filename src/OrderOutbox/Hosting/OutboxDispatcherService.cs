using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using OrderOutbox.Processing;

namespace OrderOutbox.Hosting;

/// <summary>
/// The background dispatcher: runs the engine's cycles for the life of the host. It cannot die: every cycle's error is
/// caught, logged once per outage and followed by a capped wait; only cancellation ends the loop.
/// </summary>
/// <remarks>
/// Shutdown has two steps. When the host starts stopping, no new record is claimed or started. Calls in flight go on
/// until they end or the host's shutdown timeout fires (the token given to <see cref="StopAsync"/>), then their
/// outcomes are recorded and unstarted claims are released.
/// </remarks>
internal sealed partial class OutboxDispatcherService : BackgroundService
{
    /// <summary>The first wait after a failed cycle; it doubles per failure, capped at the polling interval.</summary>
    internal static readonly TimeSpan FirstFailureDelay = TimeSpan.FromSeconds(1);

    private readonly IServiceProvider _services;
    private readonly OutboxOptions _options;
    private readonly TimeProvider _timeProvider;
    private readonly OutboxWakeUp _wakeUp;
    private readonly ILogger _logger;
    private readonly CancellationTokenSource _abort = new();
    private CancellationTokenRegistration _abortRegistration;

    public OutboxDispatcherService(
        IServiceProvider services,
        IOptions<OutboxOptions> options,
        TimeProvider timeProvider,
        OutboxWakeUp wakeUp,
        ILogger<OutboxDispatcherService> logger)
    {
        _services = services;
        _options = options.Value;
        _timeProvider = timeProvider;
        _wakeUp = wakeUp;
        _logger = logger;
    }

    /// <inheritdoc />
    public override Task StopAsync(CancellationToken cancellationToken)
    {
        // ExecuteAsync's token fires now (stop claiming); calls in flight are cut only when the host gives up.
        _abortRegistration = cancellationToken.Register(static s => ((CancellationTokenSource)s!).Cancel(), _abort);
        return base.StopAsync(cancellationToken);
    }

    /// <inheritdoc />
    public override void Dispose()
    {
        _abortRegistration.Dispose();
        base.Dispose();
        _abort.Dispose();
    }

    /// <inheritdoc />
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!_options.RunDispatcher)
        {
            LogDisabled();
            return;
        }

        // Resolved before the first await, so a wiring error fails the host's start instead of a silent loop.
        IOutboxProcessor processor = _services.GetRequiredService<IOutboxProcessor>();
        IOutboxAdmin? admin = _options.SentRetention is null ? null : _services.GetService<IOutboxAdmin>();

        await Task.Yield();
        LogStarted((processor as OutboxProcessor)?.InstanceId ?? processor.GetType().Name, _options.PollingInterval, _options.BatchSize, _options.MaxConcurrency);

        Task purge = admin is null ? Task.CompletedTask : PurgeLoopAsync(admin, _options.SentRetention!.Value, stoppingToken);
        await DispatchLoopAsync(processor, stoppingToken).ConfigureAwait(false);
        await purge.ConfigureAwait(false);
        LogStopped();
    }

    private async Task DispatchLoopAsync(IOutboxProcessor processor, CancellationToken stoppingToken)
    {
        var engine = processor as OutboxProcessor;
        int failures = 0;
        TimeSpan failureDelay = TimeSpan.Zero;
        long outageStarted = 0;
        while (!stoppingToken.IsCancellationRequested)
        {
            TimeSpan wait = _options.PollingInterval;
            bool wakeable = true;
            try
            {
                _ = engine is not null
                    ? await engine.RunCycleAsync(stoppingToken, _abort.Token).ConfigureAwait(false)
                    : await processor.ProcessOnceAsync(stoppingToken).ConfigureAwait(false);
                _services.GetService<OutboxDispatcherHeartbeat>()?.CycleCompleted();

                if (failures > 0)
                {
                    TimeSpan outage = _timeProvider.GetElapsedTime(outageStarted);
                    LogRecovered(failures, outage);
                    failures = 0;
                }
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                break;
            }
            catch (Exception ex)
            {
                failures++;
                failureDelay = failures == 1 ? FirstFailureDelay : failureDelay + failureDelay;
                if (failureDelay > _options.PollingInterval)
                {
                    failureDelay = _options.PollingInterval;
                }

                if (failures == 1)
                {
                    outageStarted = _timeProvider.GetTimestamp();
                    LogCycleFailed(ex, failureDelay);
                }
                else
                {
                    LogCycleStillFailing(ex, failures, failureDelay);
                }

                wait = failureDelay;
                wakeable = false;
            }

            try
            {
                await WaitAsync(wait, wakeable, stoppingToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                break;
            }
        }
    }

    private async Task WaitAsync(TimeSpan wait, bool wakeable, CancellationToken stoppingToken)
    {
        if (!wakeable)
        {
            await Task.Delay(wait, _timeProvider, stoppingToken).ConfigureAwait(false);
            return;
        }

        Task wake = _wakeUp.WaitAsync();
        if (wake.IsCompleted)
        {
            return;
        }

        using var delayCancellation = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
        Task delay = Task.Delay(wait, _timeProvider, delayCancellation.Token);
        Task first = await Task.WhenAny(delay, wake).ConfigureAwait(false);
        if (first == wake)
        {
            await delayCancellation.CancelAsync().ConfigureAwait(false);
        }

        stoppingToken.ThrowIfCancellationRequested();
    }

    private async Task PurgeLoopAsync(IOutboxAdmin admin, TimeSpan retention, CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                DateTimeOffset sentBefore = _timeProvider.GetUtcNow() - retention;
                long deleted = await admin.PurgeSentAsync(sentBefore, _options.PurgeBatchSize, stoppingToken).ConfigureAwait(false);
                LogPurged(deleted, sentBefore);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex)
            {
                LogPurgeFailed(ex);
            }

            try
            {
                await Task.Delay(_options.PurgeInterval, _timeProvider, stoppingToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }
}
