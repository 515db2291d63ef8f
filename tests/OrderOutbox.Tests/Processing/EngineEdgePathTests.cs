using System.Collections.Concurrent;
using FluentAssertions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;
using Microsoft.Extensions.Time.Testing;
using OrderOutbox.DependencyInjection;
using OrderOutbox.Processing;
using OrderOutbox.Tests.Support;
using Xunit;

namespace OrderOutbox.Tests.Processing;

/// <summary>
/// The engine's edge paths (issue 11): each test here was committed failing on the engine before its fix. One fake
/// clock per test, the in-memory store (or a <see cref="ScriptedStore"/> over it) and scripted dispatchers.
/// </summary>
public sealed class EngineEdgePathTests
{
    private static readonly DateTimeOffset Start = new(2026, 3, 1, 9, 0, 0, TimeSpan.Zero);
    private readonly FakeTimeProvider _time = new(Start);

    private CancellationToken Ct => TestContext.Current.CancellationToken;

    // D3: Lease tokens stay unique across processes even when every replica is configured with the same InstanceId.
    [Fact]
    public async Task Two_processes_with_the_same_instance_id_a_stale_outcome_is_rejected_and_the_new_claims_outcome_is_written()
    {
        var store = new InMemoryOutboxStore(_time);
        Guid id = store.AddMany(1, Start)[0];
        var options = new OutboxOptions { InstanceId = "node", LeaseDuration = TimeSpan.FromMinutes(1) };

        // Process A claims the record, then hangs past its lease (it ignores its timeout, as a stuck process would).
        (TestDispatcher dispatcherA, TaskCompletionSource startedA, TaskCompletionSource<DispatchResult> releaseA) = HeldDispatcher();
        OutboxProcessor processA = Processors.Create(store, dispatcherA, _time, options);
        Task<int> cycleA = processA.ProcessOnceAsync(Ct);
        await startedA.Task.WaitAsync(TimeSpan.FromSeconds(20), Ct);

        // The lease expires; process B (a new process: its claim sequence starts again) claims the record.
        _time.Advance(TimeSpan.FromMinutes(2));
        (TestDispatcher dispatcherB, TaskCompletionSource startedB, TaskCompletionSource<DispatchResult> releaseB) = HeldDispatcher();
        OutboxProcessor processB = Processors.Create(store, dispatcherB, _time, options);
        Task<int> cycleB = processB.ProcessOnceAsync(Ct);
        await startedB.Task.WaitAsync(TimeSpan.FromSeconds(20), Ct);
        string tokenB = store.Get(id).LeaseOwner!;

        // A comes back with its stale outcome first, then B finishes.
        releaseA.SetResult(DispatchResult.Success);
        await cycleA.WaitAsync(TimeSpan.FromSeconds(20), Ct);
        store.Get(id).LeaseOwner.Should().Be(tokenB, "the stale process's outcome must be fenced off, not accepted as if it were the new claim's");
        releaseB.SetResult(DispatchResult.Transient("HTTP 503 from B's attempt"));
        await cycleB.WaitAsync(TimeSpan.FromSeconds(20), Ct);

        OutboxMessage record = store.Get(id);
        record.Status.Should().Be(OutboxStatus.Failed, "the newer claim's outcome stands");
        record.LastError.Should().Be("HTTP 503 from B's attempt");
        record.RetryCount.Should().Be(1);
        store.ClaimTokens.Should().OnlyHaveUniqueItems().And.OnlyContain(t => t.StartsWith("node/", StringComparison.Ordinal));
    }

    // D4: One outcome the store refuses for ever (for example a text it cannot store) never loses the others of its batch.
    [Fact]
    public async Task A_batch_write_that_keeps_failing_is_written_one_by_one_so_only_the_bad_outcome_is_lost()
    {
        var inner = new InMemoryOutboxStore(_time);
        List<Guid> ids = inner.AddMany(4, Start);
        Guid poison = ids[1];
        var store = new ScriptedStore(inner)
        {
            CompleteFailure = (outcomes, _) => outcomes.Any(o => o.Id == poison) ? new InvalidOperationException("22021: invalid byte sequence for encoding \"UTF8\": 0x00") : null,
        };

        // Hold the first write until every call has ended, so the poison shares a write with good outcomes.
        var allAttempted = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        store.BeforeComplete = () => allAttempted.Task;
        var dispatcher = new TestDispatcher(_time, (_, _) => DispatchResult.Success);
        var logger = new FakeLogger<OutboxProcessor>();
        OutboxProcessor processor = Processors.Create(store, dispatcher, _time, new OutboxOptions { BatchSize = 10, MaxConcurrency = 1 }, logger: logger);

        Task<int> cycle = processor.ProcessOnceAsync(Ct);
        await Eventually.TrueAsync(() => dispatcher.Attempts.Count == 4, "all four calls ran");
        await Task.Delay(100, Ct); // the last outcome is queued right after its call returns
        allAttempted.SetResult();
        await Eventually.TrueAsync(() => cycle.IsCompleted, "the cycle ends", step: () => _time.Advance(TimeSpan.FromMilliseconds(200)));

        inner.All().Where(m => m.Id != poison).Should().OnlyContain(m => m.Status == OutboxStatus.Sent, "good outcomes land even when they shared a batch with one the store refuses");
        inner.Get(poison).Status.Should().Be(OutboxStatus.Pending, "the refused outcome is lost; its record is attempted again after its lease");
        logger.Collector.GetSnapshot().Should().Contain(r => r.Level >= LogLevel.Error && r.Message.Contains(poison.ToString(), StringComparison.Ordinal), "the lost outcome is named in the log");
    }

    // D6: No exception outside the store call (a logging provider, a metrics listener) can stop outcome writing.
    [Fact]
    public async Task A_logger_that_throws_on_the_sent_event_does_not_stop_later_outcomes_being_written()
    {
        var store = new InMemoryOutboxStore(_time);
        store.AddMany(20, Start);
        // The second batch is attempted only after the first batch's outcomes were stored (and the logger threw on them).
        int calls = 0;
        var dispatcher = new TestDispatcher(_time, async (_, _, _) =>
        {
            if (Interlocked.Increment(ref calls) == 11)
            {
                // Records are queued behind this call, so the writer lingers (OutcomeWriter.Linger on the engine's clock).
                await Eventually.TrueAsync(() => store.All().Any(m => m.Status == OutboxStatus.Sent), "the first outcomes are stored", step: () => _time.Advance(OutcomeWriter.Linger));
                await Task.Delay(50, CancellationToken.None);
            }

            return DispatchResult.Success;
        });
        OutboxProcessor processor = Processors.Create(
            store, dispatcher, _time, new OutboxOptions { BatchSize = 10, MaxConcurrency = 1 }, logger: new ThrowingLogger<OutboxProcessor>(sentEventId: 1101));

        try
        {
            await processor.ProcessOnceAsync(Ct).WaitAsync(TimeSpan.FromSeconds(20), Ct);
        }
        catch (InvalidOperationException)
        {
            // the old engine surfaced the logger's exception; what matters is what reached the store
        }

        dispatcher.Attempts.Should().HaveCount(20, "both batches were claimed and attempted");
        store.All().Should().OnlyContain(m => m.Status == OutboxStatus.Sent, "the second batch's outcomes are written although logging the first batch threw");
        store.CountLeased().Should().Be(0);
    }

    /// <summary>A logger whose provider throws on one event, as a broken logging sink would.</summary>
    private sealed class ThrowingLogger<T>(int sentEventId) : ILogger<T>
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (eventId.Id == sentEventId)
            {
                throw new InvalidOperationException("the logging sink is broken");
            }
        }
    }

    // D5: Dead-letter handlers never delay outcome writes, and a hung one never hangs a cycle.
    [Fact]
    public async Task A_handler_that_never_completes_does_not_delay_the_next_outcome_and_the_cycle_ends()
    {
        var store = new InMemoryOutboxStore(_time);
        Guid permanent = store.AddMany(1, Start - TimeSpan.FromSeconds(1))[0];
        Guid ok = store.AddMany(1, Start)[0];
        var dispatcher = new TestDispatcher(_time, (m, _) => m.Id == permanent ? DispatchResult.Permanent("HTTP 400 Bad Request") : DispatchResult.Success);
        var hung = new HungHandler();
        OutboxProcessor processor = Processors.Create(store, dispatcher, _time, new OutboxOptions { MaxConcurrency = 1 }, deadLetterHandlers: [hung]);

        Task<int> cycle = processor.ProcessOnceAsync(Ct);

        await Eventually.TrueAsync(() => store.Get(ok).Status == OutboxStatus.Sent, "the 200 record is SENT within a second although the handler hangs", timeoutSeconds: 1);
        (await cycle.WaitAsync(TimeSpan.FromSeconds(1), Ct)).Should().Be(2, "the cycle ends without waiting for the hung handler");
        store.Get(permanent).Status.Should().Be(OutboxStatus.DeadLetter);
        await Eventually.TrueAsync(() => hung.Calls == 1, "the handler was called once");
    }

    [Fact]
    public async Task A_hung_handler_is_left_behind_after_the_dead_letter_handler_timeout_and_the_next_one_runs()
    {
        var store = new InMemoryOutboxStore(_time);
        Guid id = store.AddMany(1, Start)[0];
        var dispatcher = new TestDispatcher(_time, (_, _) => DispatchResult.Permanent("HTTP 400 Bad Request"));
        var hung = new HungHandler();
        var next = new RecordingDeadLetterHandler();
        var logger = new Microsoft.Extensions.Logging.Testing.FakeLogger<OutboxProcessor>();
        OutboxProcessor processor = Processors.Create(
            store, dispatcher, _time, new OutboxOptions { DeadLetterHandlerTimeout = TimeSpan.FromSeconds(30) }, deadLetterHandlers: [hung, next], logger: logger);

        await processor.ProcessOnceAsync(Ct).WaitAsync(TimeSpan.FromSeconds(20), Ct);
        await Eventually.TrueAsync(() => hung.Calls == 1, "the first handler was called");
        _time.Advance(TimeSpan.FromSeconds(29));
        await Task.Delay(50, Ct);
        next.Received.Should().BeEmpty("the first handler still has time");

        await Eventually.TrueAsync(() => next.Received.Count == 1, "after 30 s the hung handler is left behind and the next runs", step: () => _time.Advance(TimeSpan.FromSeconds(1)));
        next.Received[0].Id.Should().Be(id);
        logger.Collector.GetSnapshot().Should().Contain(r => r.Id.Id == 1116 && r.Message.Contains(id.ToString(), StringComparison.Ordinal) && r.Message.Contains("00:00:30", StringComparison.Ordinal));
    }

    private sealed class HungHandler : IDeadLetterHandler
    {
        private int _calls;

        public int Calls => Volatile.Read(ref _calls);

        public Task OnDeadLetteredAsync(OutboxMessage message, CancellationToken cancellationToken)
        {
            Interlocked.Increment(ref _calls);
            return new TaskCompletionSource().Task; // never completes, ignores cancellation
        }
    }

    // D7: A database blip does not lose a batch of outcomes: the write is retried while the leases are valid.
    [Fact]
    public async Task An_outcome_write_that_fails_once_is_retried_and_lands()
    {
        var inner = new InMemoryOutboxStore(_time);
        inner.AddMany(3, Start);
        var store = new ScriptedStore(inner) { CompleteFailure = (_, call) => call == 1 ? new TimeoutException("connection reset by peer") : null };
        var dispatcher = new TestDispatcher(_time, (_, _) => DispatchResult.Success);
        OutboxProcessor processor = Processors.Create(store, dispatcher, _time, new OutboxOptions { BatchSize = 10, MaxConcurrency = 1 });

        Task<int> cycle = processor.ProcessOnceAsync(Ct);
        await Eventually.TrueAsync(() => cycle.IsCompleted, "the cycle ends", step: () => _time.Advance(TimeSpan.FromMilliseconds(100)));

        cycle.IsCompletedSuccessfully.Should().BeTrue("a write that succeeded on retry is not a failed cycle");
        inner.All().Should().OnlyContain(m => m.Status == OutboxStatus.Sent && m.LeaseOwner == null, "every outcome of the failed write landed on retry");
        dispatcher.Attempts.Should().HaveCount(3, "nothing was delivered twice");
        store.CompleteCalls.Should().BeGreaterThan(1);
    }

    // Item 9: default(DispatchResult) (a dispatcher that forgot to set a result) must never mean success.
    [Fact]
    public async Task A_default_dispatch_result_is_a_transient_failure_with_a_clear_error()
    {
        var store = new InMemoryOutboxStore(_time);
        Guid id = store.AddMany(1, Start)[0];
        var dispatcher = new TestDispatcher(_time, (_, _) => default);
        OutboxProcessor processor = Processors.Create(store, dispatcher, _time);

        await processor.ProcessOnceAsync(Ct);

        OutboxMessage record = store.Get(id);
        record.Status.Should().Be(OutboxStatus.Failed, "an uninitialised result says nothing about delivery");
        record.RetryCount.Should().Be(1);
        record.LastError.Should().Contain("default(DispatchResult)");
    }

    // D2: No call starts on a record whose lease would end before the call's timeout.
    [Fact]
    public async Task Batch_10_concurrency_11_timeout_10s_at_the_shortest_accepted_lease_every_call_starts_a_timeout_before_its_lease_ends()
    {
        TimeSpan timeout = TimeSpan.FromSeconds(10);
        var options = new OutboxOptions { BatchSize = 10, MaxConcurrency = 11, DispatchTimeout = timeout, LeaseDuration = TimeSpan.FromSeconds(31) };
        new OutboxOptionsValidator().Validate(null, options).Succeeded.Should().BeTrue("the validator accepts this lease, so the engine must honour it");

        var store = new InMemoryOutboxStore(_time);
        store.AddMany(100, Start);
        var starts = new ConcurrentQueue<(Guid Id, DateTimeOffset At, DateTimeOffset LeaseEnd)>();
        var dispatcher = new TestDispatcher(_time, async (m, _, ct) =>
        {
            starts.Enqueue((m.Id, _time.GetUtcNow(), m.LeaseExpiresAt!.Value));
            await Task.Delay(timeout, _time, CancellationToken.None); // every call takes exactly the timeout
            return DispatchResult.Success;
        });
        OutboxProcessor processor = Processors.Create(store, dispatcher, _time, options);

        for (int cycle = 0; cycle < 40 && store.All().Any(m => m.Status == OutboxStatus.Pending); cycle++)
        {
            Task<int> running = processor.ProcessOnceAsync(Ct);
            await Eventually.TrueAsync(() => running.IsCompleted, "the cycle ends", step: () => _time.Advance(TimeSpan.FromSeconds(1)));
            await running;
        }

        starts.Should().NotBeEmpty();
        starts.Where(s => s.At > s.LeaseEnd - timeout)
            .Select(s => $"{s.Id} started at +{(s.At - Start).TotalSeconds}s, lease ends at +{(s.LeaseEnd - Start).TotalSeconds}s")
            .Should().BeEmpty("a call may start only while its record's lease covers the whole call");
        store.All().Should().OnlyContain(m => m.Status != OutboxStatus.Pending, "records released instead of started are claimed again and finished");
    }

    /// <summary>A dispatcher whose calls signal that they started, then wait for the test to give their result.</summary>
    private (TestDispatcher Dispatcher, TaskCompletionSource Started, TaskCompletionSource<DispatchResult> Release) HeldDispatcher()
    {
        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var release = new TaskCompletionSource<DispatchResult>(TaskCreationOptions.RunContinuationsAsynchronously);
        var dispatcher = new TestDispatcher(_time, (_, _, _) =>
        {
            started.TrySetResult();
            return new ValueTask<DispatchResult>(release.Task);
        });
        return (dispatcher, started, release);
    }
}
