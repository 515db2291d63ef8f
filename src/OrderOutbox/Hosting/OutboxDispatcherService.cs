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
/// <para>Shutdown has three steps, and <see cref="StopAsync"/> returns only after the last one, so the host never moves
/// on (disposing the data source, or exiting) while this instance still holds leases:</para>
/// <list type="number">
/// <item>When the host starts stopping, no new record is claimed or started.</item>
/// <item>Calls in flight go on until they end, or until <see cref="OutboxOptions.ShutdownGracePeriod"/> has passed or
/// the host's shutdown timeout fires (the token given to <see cref="StopAsync"/>), whichever comes first: then they
/// are cancelled and their records count as not attempted.</item>
/// <item>Unstarted and cancelled records are released and every gathered outcome is written, within
/// <see cref="CleanupLimit"/> after the cancellation (a database that does not answer by then leaves its leases to
/// expire, and that is logged).</item>
/// </list>
/// </remarks>
internal sealed partial class OutboxDispatcherService : BackgroundService
{
    /// <summary>The first wait after a failed cycle; it doubles per failure, capped at the polling interval.</summary>
    internal static readonly TimeSpan FirstFailureDelay = TimeSpan.FromSeconds(1);

    /// <summary>How long <see cref="StopAsync"/> waits, after calls in flight were cancelled, for releases and outcome writes.</summary>
    internal static readonly TimeSpan CleanupLimit = TimeSpan.FromSeconds(5);

    private readonly IServiceProvider _services;
    private readonly OutboxOptions _options;
    private readonly TimeProvider _timeProvider;
    private readonly OutboxWakeUp _wakeUp;
    private readonly ILogger _logger;
    private readonly CancellationTokenSource _abort = new();

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
    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        if (ExecuteTask is null)
        {
            await base.StopAsync(cancellationToken).ConfigureAwait(false);
            return;
        }

        // Calls in flight are cut when the grace period ends or the host gives up, whichever comes first.
        using ITimer grace = _timeProvider.CreateTimer(static s => ((OutboxDispatcherService)s!).Abort(), this, _options.ShutdownGracePeriod, Timeout.InfiniteTimeSpan);
        using CancellationTokenRegistration hostGaveUp = cancellationToken.Register(static s => ((OutboxDispatcherService)s!).Abort(), this);

        // ExecuteAsync's token fires now (stop claiming); with no token of its own, this completes when the loop has
        // ended, i.e. after the cycle released its claims and wrote its outcomes.
        Task loopEnded = base.StopAsync(CancellationToken.None);
        var aborted = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using CancellationTokenRegistration onAbort = _abort.Token.Register(static s => ((TaskCompletionSource)s!).TrySetResult(), aborted);
        if (await Task.WhenAny(loopEnded, aborted.Task).ConfigureAwait(false) == loopEnded)
        {
            return;
        }

        try
        {
            await loopEnded.WaitAsync(CleanupLimit, _timeProvider, CancellationToken.None).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            LogCleanupTimedOut(CleanupLimit);
        }
    }

    /// <inheritdoc />
    public override void Dispose()
    {
        base.Dispose();
        _abort.Dispose();
    }

    private void Abort()
    {
        try
        {
            _abort.Cancel();
        }
        catch (ObjectDisposedException)
        {
            // the service is already disposed: nothing left to abort
        }
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
                int attempted = engine is not null
                    ? await engine.RunCycleAsync(stoppingToken, _abort.Token).ConfigureAwait(false)
                    : await processor.ProcessOnceAsync(stoppingToken).ConfigureAwait(false);
                if (attempted > 0)
                {
                    // Keep going while claims find work: one more claim a notification cooldown later (if notifications
                    // come with one), for records whose own notification the cooldown suppressed.
                    _wakeUp.CycleFoundWork();
                }

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
