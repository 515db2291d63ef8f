namespace OrderOutbox.Tests.Model;

/// <summary>
/// One process's receiver client: each call is journalled as an attempt, takes its scripted time on the fake clock
/// (the engine's timeout or abort cancels it) and gives its scripted answer. A crashed process makes no calls: its
/// calls never return and are not attempts.
/// </summary>
internal sealed class ModelDispatcher(ModelProcess process, ModelTrace trace, ModelAnswers answers, TimeProvider time) : IDispatcher
{
    public async ValueTask<DispatchResult> DispatchAsync(OutboxMessage message, CancellationToken cancellationToken)
    {
        await process.WhileFrozenAsync();
        if (process.Crashed || trace.Attempted(process.Id, message, time.GetUtcNow(), answers.For) is not { } attempt)
        {
            return await ModelProcess.Never<DispatchResult>();
        }

        try
        {
            await Task.Delay(attempt.Answer.Delay, time, cancellationToken);
        }
        catch (OperationCanceledException)
        {
            bool aborted = process.AbortRequested;
            trace.AttemptEnded(attempt, (aborted ? "aborted at shutdown at " : "cancelled at ") + ModelTrace.Format(time.GetUtcNow()), aborted);
            await process.WhileFrozenAsync();
            throw;
        }

        await process.WhileFrozenAsync();
        if (process.Crashed)
        {
            return await ModelProcess.Never<DispatchResult>();
        }

        trace.AttemptEnded(attempt, "answered at " + ModelTrace.Format(time.GetUtcNow()), aborted: false);
        return attempt.Answer.Kind switch
        {
            AnswerKind.Success => DispatchResult.Success,
            AnswerKind.Transient => DispatchResult.Transient("HTTP 503 Service Unavailable", attempt.Answer.RetryAfter),
            AnswerKind.Permanent => DispatchResult.Permanent("HTTP 400 Bad Request"),
            _ => throw new InvalidOperationException("receiver connection reset"),
        };
    }
}

/// <summary>A dead-letter handler that journals each call; every third call throws (it must harm nothing).</summary>
internal sealed class ModelDeadLetterHandler(ModelProcess process, ModelTrace trace) : IDeadLetterHandler
{
    private int _calls;

    public Task OnDeadLetteredAsync(OutboxMessage message, CancellationToken cancellationToken)
    {
        if (process.Crashed)
        {
            return ModelProcess.Never<bool>();
        }

        trace.DeadLetterHook(process.Id, message.Id);
        return Interlocked.Increment(ref _calls) % 3 == 0
            ? Task.FromException(new InvalidOperationException("alerting is down"))
            : Task.CompletedTask;
    }
}
