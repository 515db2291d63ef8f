using System.Diagnostics.Metrics;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace OrderOutbox.Diagnostics;

/// <summary>
/// The backlog gauges of the <c>OrderOutbox</c> meter: records due now, the age of the oldest due record, records
/// leased now and dead letters. Their values come from <see cref="IOutboxAdmin.GetStatisticsAsync"/>, read in the
/// background at most once per <see cref="OutboxOptions.GaugeRefreshInterval"/> (timed by the <see cref="TimeProvider"/>):
/// a scrape never waits for, nor causes more than that, database work. Until the first read completes, and while the
/// store cannot be read, the gauges report nothing (no stale figure). Registered as a hosted service so the instruments
/// exist from the host's start.
/// </summary>
internal sealed partial class OutboxBacklogGauges : IHostedService, IDisposable
{
    private readonly IServiceProvider _services;
    private readonly TimeProvider _time;
    private readonly TimeSpan _interval;
    private readonly ILogger _logger;
    private readonly CancellationTokenSource _stopping = new();
    private readonly object _gate = new();
    private OutboxStatistics? _snapshot;
    private long _lastRefreshStarted;
    private bool _refreshedOnce;
    private Task _refresh = Task.CompletedTask;
    private bool _failing;

    public OutboxBacklogGauges(OutboxMetrics metrics, IServiceProvider services, TimeProvider time, IOptions<OutboxOptions> options, ILogger<OutboxBacklogGauges> logger)
    {
        _services = services;
        _time = time;
        _interval = options.Value.GaugeRefreshInterval;
        _logger = logger;
        Meter meter = metrics.Meter;
        meter.CreateObservableGauge("orderoutbox.backlog.due", () => Observe(static s => s.Due), "{message}",
            "PENDING or FAILED records due now and not leased: the work waiting for a dispatcher.");
        meter.CreateObservableGauge("orderoutbox.backlog.oldest_due_age", () => Observe(static s => s.OldestDueAge?.TotalSeconds ?? 0), "s",
            "How long the oldest due record has been due (0 when none is).");
        meter.CreateObservableGauge("orderoutbox.backlog.leased", () => Observe(static s => s.Leased), "{message}",
            "Records leased to a dispatcher now (being sent).");
        meter.CreateObservableGauge("orderoutbox.dead_letters", () => Observe(static s => s.DeadLetter), "{message}",
            "Records in DEAD_LETTER, waiting for an operator.");
    }

    /// <summary>The refresh in flight or last run (for tests).</summary>
    internal Task CurrentRefresh
    {
        get
        {
            lock (_gate)
            {
                return _refresh;
            }
        }
    }

    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StopAsync(CancellationToken cancellationToken)
    {
        _stopping.Cancel();
        return Task.CompletedTask;
    }

    public void Dispose() => _stopping.Dispose();

    private IEnumerable<Measurement<T>> Observe<T>(Func<OutboxStatistics, T> value)
        where T : struct
    {
        OutboxStatistics? snapshot;
        lock (_gate)
        {
            if ((!_refreshedOnce || _time.GetElapsedTime(_lastRefreshStarted) >= _interval) && _refresh.IsCompleted && !_stopping.IsCancellationRequested)
            {
                _refreshedOnce = true;
                _lastRefreshStarted = _time.GetTimestamp();
                _refresh = Task.Run(RefreshAsync);
            }

            snapshot = _snapshot;
        }

        return snapshot is null ? [] : [new Measurement<T>(value(snapshot))];
    }

    private async Task RefreshAsync()
    {
        IOutboxAdmin? admin = _services.GetService<IOutboxAdmin>();
        if (admin is null)
        {
            return;
        }

        OutboxStatistics? snapshot = null;
        try
        {
            snapshot = await admin.GetStatisticsAsync(_stopping.Token).ConfigureAwait(false);
            if (_failing)
            {
                _failing = false;
                LogRecovered();
            }
        }
        catch (OperationCanceledException) when (_stopping.IsCancellationRequested)
        {
        }
        catch (Exception ex)
        {
            if (!_failing)
            {
                _failing = true;
                LogRefreshFailed(ex, _interval);
            }
        }

        lock (_gate)
        {
            _snapshot = snapshot;
        }
    }
}
