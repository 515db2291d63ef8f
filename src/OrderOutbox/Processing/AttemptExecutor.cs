using System.Diagnostics;
using System.Runtime.CompilerServices;
using OrderOutbox.Diagnostics;
using OrderOutbox.Internal;

namespace OrderOutbox.Processing;

/// <summary>
/// Runs one dispatch call: a span continuing the enqueue trace, the per-call timeout, the duration metric, and the
/// <see cref="AttemptClassifier"/>'s verdict. It writes nothing; the cycle hands the verdict to the outcome writer.
/// </summary>
internal sealed class AttemptExecutor
{
    private readonly IDispatcher _dispatcher;
    private readonly IBackoffPolicy _backoff;
    private readonly TimeProvider _time;
    private readonly OutboxMetrics _metrics;
    private readonly TimeSpan _timeout;
    private readonly string _timeoutText;

    public AttemptExecutor(IDispatcher dispatcher, IBackoffPolicy backoff, TimeProvider time, OutboxMetrics metrics, TimeSpan timeout)
    {
        _dispatcher = dispatcher;
        _backoff = backoff;
        _time = time;
        _metrics = metrics;
        _timeout = timeout;
        _timeoutText = "Timeout after " + OutboxText.FormatDuration(timeout);
    }

    /// <summary>Dispatches <paramref name="message"/> once and classifies how the call ended.</summary>
    /// <param name="message">The claimed record.</param>
    /// <param name="timeout">The worker's reusable timeout source (also cancelled by <paramref name="abortInFlight"/>).</param>
    /// <param name="abortInFlight">The host's give-up signal: a call it cuts has no outcome.</param>
    /// <returns>The verdict, or <see langword="null"/> when the call was aborted (the record is to be released).</returns>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    public async ValueTask<AttemptClassification?> ExecuteAsync(OutboxMessage message, TimeoutSource timeout, CancellationToken abortInFlight)
    {
        TimeProvider time = _time;
        DateTimeOffset attemptedAt = time.GetUtcNow();
        long started = time.GetTimestamp();
        using Activity? activity = OutboxActivitySource.StartDispatch(message);

        DispatchResult result = default;
        Exception? thrown = null;
        bool timedOut = false;
        CancellationToken token = timeout.Start(_timeout);
        try
        {
            result = await _dispatcher.DispatchAsync(message, token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (abortInFlight.IsCancellationRequested)
        {
            // The host's shutdown timeout cut the call: the outcome is unknown, so the record is released.
            activity?.SetStatus(ActivityStatusCode.Error, "Cancelled at shutdown");
            return null;
        }
        catch (OperationCanceledException) when (token.IsCancellationRequested)
        {
            timedOut = true;
        }
        catch (Exception ex)
        {
            thrown = ex;
        }
        finally
        {
            timeout.Stop();
        }

        DateTimeOffset completedAt = time.GetUtcNow();
        AttemptClassification verdict = timedOut
            ? AttemptClassifier.ClassifyTimeout(message, _timeoutText, _backoff, attemptedAt, completedAt)
            : thrown is not null
                ? AttemptClassifier.ClassifyException(message, thrown, _backoff, attemptedAt, completedAt)
                : AttemptClassifier.Classify(message, result, _backoff, attemptedAt, completedAt);

        if (verdict.Outcome.Status != OutboxStatus.Sent)
        {
            activity?.SetStatus(ActivityStatusCode.Error, verdict.Outcome.LastError);
        }

        _metrics.DispatchDuration(message.MessageType, verdict.ResultName, time.GetElapsedTime(started));
        return verdict;
    }
}
