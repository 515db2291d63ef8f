using OrderOutbox.Processing;

namespace OrderOutbox.Tests.Model;

/// <summary>
/// One simulated dispatcher instance: the real engine, run one cycle at a time through
/// <see cref="OutboxProcessor.RunCycleAsync"/> as the hosted service does. A stop cancels the cycle's "stop claiming"
/// token (graceful) and, when forced, its "abort calls in flight" token too; a stopped instance is retired for good.
/// </summary>
internal sealed class ModelProcessor(ModelProcess process, OutboxProcessor engine, ModelProcessorSettings settings) : IDisposable
{
    private Task<int>? _cycle;
    private CancellationTokenSource? _stopClaiming;
    private CancellationTokenSource? _abortInFlight;
    private bool _stopping;

    public ModelProcess Process { get; } = process;

    public ModelProcessorSettings Settings { get; } = settings;

    public bool IsRunning => _cycle is not null;

    public bool Retired { get; private set; }

    public void Start(ModelTrace trace)
    {
        if (_cycle is not null || Retired || Process.Crashed)
        {
            return;
        }

        _stopClaiming = new CancellationTokenSource();
        _abortInFlight = new CancellationTokenSource();
        CancellationToken stop = _stopClaiming.Token;
        CancellationToken abort = _abortInFlight.Token;
        trace.Note($"P{Process.Id} starts a cycle");
        _cycle = Task.Run(async () =>
        {
            try
            {
                return await engine.RunCycleAsync(stop, abort);
            }
            finally
            {
                trace.Note($"P{Process.Id} cycle ended");
            }
        });
    }

    public void Stop(bool forced)
    {
        _stopping = true;
        _stopClaiming?.Cancel();
        if (forced)
        {
            Process.RequestAbort();
            _abortInFlight?.Cancel();
        }
    }

    /// <summary>If the cycle ended, forgets it and returns its failure, if any (none for a clean stop).</summary>
    public string? Reap()
    {
        if (_cycle is not { IsCompleted: true } cycle)
        {
            return null;
        }

        _cycle = null;
        _stopClaiming?.Dispose();
        _abortInFlight?.Dispose();
        if (_stopping)
        {
            Retired = true;
        }

        return cycle.Exception?.GetBaseException().ToString() ?? (cycle.IsCanceled && !_stopping ? "cancelled" : null);
    }

    /// <summary>Disposes the tokens of a cycle that never ended (a crashed process's).</summary>
    public void Dispose()
    {
        if (_cycle is null)
        {
            return;
        }

        _stopClaiming?.Dispose();
        _abortInFlight?.Dispose();
    }
}
