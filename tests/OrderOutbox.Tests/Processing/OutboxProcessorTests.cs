using FluentAssertions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;
using Microsoft.Extensions.Time.Testing;
using OrderOutbox.Processing;
using OrderOutbox.Tests.Support;
using Xunit;

namespace OrderOutbox.Tests.Processing;

public sealed class OutboxProcessorTests
{
    private static readonly DateTimeOffset Start = new(2026, 3, 1, 9, 0, 0, TimeSpan.Zero);
    private readonly FakeTimeProvider _time = new(Start);
    private readonly InMemoryOutboxStore _store;

    public OutboxProcessorTests() => _store = new InMemoryOutboxStore(_time);

    private CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_record_that_always_fails_is_tried_at_minutes_0_1_3_7_15_31_then_dead_lettered_once()
    {
        Guid id = _store.AddMany(1, Start)[0];
        var dispatcher = new TestDispatcher(_time, (_, _) => DispatchResult.Transient("HTTP 503 Service Unavailable"));
        var hook = new RecordingDeadLetterHandler();
        OutboxProcessor processor = Processors.Create(_store, dispatcher, _time, deadLetterHandlers: [hook]);

        for (int minute = 0; minute <= 40; minute++)
        {
            await processor.ProcessOnceAsync(Ct);
            _time.Advance(TimeSpan.FromMinutes(1));
        }

        dispatcher.AttemptTimes(id).Select(t => (t - Start).TotalMinutes).Should().Equal(0, 1, 3, 7, 15, 31);
        OutboxMessage record = _store.Get(id);
        record.Status.Should().Be(OutboxStatus.DeadLetter);
        record.RetryCount.Should().Be(6);
        record.LastError.Should().Be("HTTP 503 Service Unavailable");
        record.LeaseOwner.Should().BeNull();
        await Eventually.TrueAsync(() => hook.Received.Count > 0, "dead-letter handlers run on their own loop");
        hook.Received.Should().ContainSingle().Which.Should().BeEquivalentTo(new { Id = id, Status = OutboxStatus.DeadLetter, RetryCount = 6 });
        _store.History(id).Select(h => h.Status).Should().Equal(
            OutboxStatus.Failed, OutboxStatus.Failed, OutboxStatus.Failed, OutboxStatus.Failed, OutboxStatus.Failed, OutboxStatus.DeadLetter);
        _store.History(id).Take(5).Select(h => (h.NextAttemptAt!.Value - Start).TotalMinutes).Should().Equal(1, 3, 7, 15, 31);
    }

    [Fact]
    public async Task A_record_that_fails_twice_then_succeeds_is_sent_at_minute_3()
    {
        Guid id = _store.AddMany(1, Start)[0];
        var dispatcher = new TestDispatcher(_time, (_, attempt) => attempt <= 2 ? DispatchResult.Transient("boom") : DispatchResult.Success);
        OutboxProcessor processor = Processors.Create(_store, dispatcher, _time);

        for (int minute = 0; minute <= 10; minute++)
        {
            await processor.ProcessOnceAsync(Ct);
            _time.Advance(TimeSpan.FromMinutes(1));
        }

        dispatcher.AttemptTimes(id).Select(t => (t - Start).TotalMinutes).Should().Equal(0, 1, 3);
        OutboxMessage record = _store.Get(id);
        record.Status.Should().Be(OutboxStatus.Sent);
        record.SentAt.Should().Be(Start.AddMinutes(3));
        record.RetryCount.Should().Be(2);
        record.LastError.Should().Be("boom", "a success keeps the last failure for history, as every store does");
    }

    [Fact]
    public async Task A_permanent_failure_is_dead_lettered_at_once_and_the_hook_sees_it()
    {
        Guid id = _store.AddMany(1, Start)[0];
        var dispatcher = new TestDispatcher(_time, (_, _) => DispatchResult.Permanent("HTTP 400 Bad Request: no"));
        var hook = new RecordingDeadLetterHandler();
        var second = new RecordingDeadLetterHandler();
        OutboxProcessor processor = Processors.Create(_store, dispatcher, _time, deadLetterHandlers: [hook, second]);
        hook.Throw = new InvalidOperationException("alerting is down");

        (await processor.ProcessOnceAsync(Ct)).Should().Be(1);

        OutboxMessage record = _store.Get(id);
        record.Status.Should().Be(OutboxStatus.DeadLetter);
        record.RetryCount.Should().Be(1);
        record.LastError.Should().Be("HTTP 400 Bad Request: no");
        await Eventually.TrueAsync(() => second.Received.Count > 0, "dead-letter handlers run on their own loop");
        hook.Received.Should().ContainSingle();
        second.Received.Should().ContainSingle("a failing handler does not stop the next one").Which.LastError.Should().Be("HTTP 400 Bad Request: no");
    }

    [Fact]
    public async Task Retry_after_lengthens_the_backoff_but_never_shortens_it()
    {
        List<Guid> ids = _store.AddMany(2, Start);
        var dispatcher = new TestDispatcher(_time, (m, _) => m.Id == ids[0]
            ? DispatchResult.Transient("HTTP 429", TimeSpan.FromMinutes(10))
            : DispatchResult.Transient("HTTP 503", TimeSpan.FromSeconds(5)));
        OutboxProcessor processor = Processors.Create(_store, dispatcher, _time);

        await processor.ProcessOnceAsync(Ct);

        _store.Get(ids[0]).NextAttemptAt.Should().Be(Start.AddMinutes(10));
        _store.Get(ids[1]).NextAttemptAt.Should().Be(Start.AddMinutes(1));
    }

    [Fact]
    public async Task An_exception_from_the_dispatcher_is_a_transient_failure_with_its_type_and_message()
    {
        Guid id = _store.AddMany(1, Start)[0];
        var dispatcher = new TestDispatcher(_time, (_, _, _) => throw new InvalidOperationException("socket gone"));
        OutboxProcessor processor = Processors.Create(_store, dispatcher, _time);

        await processor.ProcessOnceAsync(Ct);

        OutboxMessage record = _store.Get(id);
        record.Status.Should().Be(OutboxStatus.Failed);
        record.RetryCount.Should().Be(1);
        record.LastError.Should().Be("InvalidOperationException: socket gone");
    }

    [Fact]
    public async Task A_call_that_exceeds_the_dispatch_timeout_is_a_transient_timeout_driven_by_the_time_provider()
    {
        Guid id = _store.AddMany(1, Start)[0];
        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var dispatcher = new TestDispatcher(_time, async (_, _, ct) =>
        {
            started.TrySetResult();
            await Task.Delay(Timeout.InfiniteTimeSpan, ct);
            return DispatchResult.Success;
        });
        OutboxProcessor processor = Processors.Create(_store, dispatcher, _time);

        Task<int> cycle = processor.ProcessOnceAsync(Ct);
        await started.Task.WaitAsync(TimeSpan.FromSeconds(20), Ct);
        _time.Advance(TimeSpan.FromSeconds(9));
        cycle.IsCompleted.Should().BeFalse("the 10 s timeout has not elapsed");
        _time.Advance(TimeSpan.FromSeconds(1));
        (await cycle.WaitAsync(TimeSpan.FromSeconds(20), Ct)).Should().Be(1);

        OutboxMessage record = _store.Get(id);
        record.Status.Should().Be(OutboxStatus.Failed);
        record.LastError.Should().Be("Timeout after 10s");
        record.NextAttemptAt.Should().Be(Start.AddSeconds(10).AddMinutes(1));
    }

    [Fact]
    public async Task Each_call_gets_its_own_full_timeout_when_a_worker_reuses_its_timer()
    {
        _store.AddMany(3, Start);
        var dispatcher = new TestDispatcher(_time, (_, _, ct) =>
        {
            _time.Advance(TimeSpan.FromSeconds(6)); // 18 s in all, but only 6 s per call
            return ValueTask.FromResult(ct.IsCancellationRequested ? DispatchResult.Transient("cancelled") : DispatchResult.Success);
        });
        OutboxProcessor processor = Processors.Create(_store, dispatcher, _time, new OutboxOptions { MaxConcurrency = 1 });

        (await processor.ProcessOnceAsync(Ct)).Should().Be(3);

        _store.All().Should().OnlyContain(m => m.Status == OutboxStatus.Sent);
    }

    [Fact]
    public async Task A_full_claim_is_followed_by_more_claims_until_the_backlog_is_drained()
    {
        _store.AddMany(35, Start);
        var dispatcher = new TestDispatcher(_time, (_, _) => DispatchResult.Success);
        OutboxProcessor processor = Processors.Create(_store, dispatcher, _time, new OutboxOptions { BatchSize = 10 });

        (await processor.ProcessOnceAsync(Ct)).Should().Be(35);

        _store.All().Should().OnlyContain(m => m.Status == OutboxStatus.Sent && m.LeaseOwner == null);
        _store.ClaimTokens.Should().HaveCount(4, "claims of 10, 10, 10 and 5");
        dispatcher.Attempts.Select(a => a.Id).Should().OnlyHaveUniqueItems();
    }

    [Fact]
    public async Task One_batch_per_cycle_claims_a_single_batch()
    {
        _store.AddMany(35, Start);
        var dispatcher = new TestDispatcher(_time, (_, _) => DispatchResult.Success);
        OutboxProcessor processor = Processors.Create(_store, dispatcher, _time, new OutboxOptions { BatchSize = 10, OneBatchPerCycle = true });

        (await processor.ProcessOnceAsync(Ct)).Should().Be(10);

        _store.All().Count(m => m.Status == OutboxStatus.Sent).Should().Be(10);
        _store.CountLeased().Should().Be(0);
        _store.ClaimTokens.Should().ContainSingle();
    }

    [Fact]
    public async Task Lease_tokens_are_unique_per_claim_and_start_with_the_instance_id()
    {
        _store.AddMany(25, Start);
        var dispatcher = new TestDispatcher(_time, (_, _) => DispatchResult.Success);
        OutboxProcessor processor = Processors.Create(_store, dispatcher, _time, new OutboxOptions { BatchSize = 10, InstanceId = "worker-a" });

        await processor.ProcessOnceAsync(Ct);
        await processor.ProcessOnceAsync(Ct);

        // {InstanceId}/{random per engine}/{sequence}: the random part keeps replicas that share an InstanceId apart.
        _store.ClaimTokens.Should().HaveCount(4).And.OnlyHaveUniqueItems();
        string prefix = _store.ClaimTokens[0][..^1];
        prefix.Should().MatchRegex("^worker-a/[0-9a-f]{16}/$");
        _store.ClaimTokens.Should().Equal(prefix + "1", prefix + "2", prefix + "3", prefix + "4");
    }

    [Fact]
    public async Task A_slow_call_does_not_hold_up_the_rest_no_batch_barrier()
    {
        List<Guid> ids = _store.AddMany(30, Start);
        var release = new TaskCompletionSource<DispatchResult>(TaskCreationOptions.RunContinuationsAsynchronously);
        var dispatcher = new TestDispatcher(_time, (m, _, _) => m.Id == ids[0] ? new ValueTask<DispatchResult>(release.Task) : ValueTask.FromResult(DispatchResult.Success));
        OutboxProcessor processor = Processors.Create(_store, dispatcher, _time, new OutboxOptions { BatchSize = 10, MaxConcurrency = 2 });

        Task<int> cycle = processor.ProcessOnceAsync(Ct);
        await Eventually.TrueAsync(() => _store.All().Count(m => m.Status == OutboxStatus.Sent) == 29, "the other 29 records are delivered while the first call hangs");
        cycle.IsCompleted.Should().BeFalse();
        release.SetResult(DispatchResult.Success);

        (await cycle.WaitAsync(TimeSpan.FromSeconds(20), Ct)).Should().Be(30);
        _store.All().Should().OnlyContain(m => m.Status == OutboxStatus.Sent);
    }

    [Fact]
    public async Task Batches_smaller_than_the_concurrency_are_claimed_by_several_claims_at_once()
    {
        _store.AddMany(40, Start);
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        int waiting = 0;
        _store.BeforeClaim = async () =>
        {
            Interlocked.Increment(ref waiting);
            await gate.Task;
        };
        var dispatcher = new TestDispatcher(_time, (_, _) => DispatchResult.Success);
        OutboxProcessor processor = Processors.Create(_store, dispatcher, _time, new OutboxOptions { BatchSize = 2, MaxConcurrency = 8 });

        Task<int> cycle = processor.ProcessOnceAsync(Ct);
        await Eventually.TrueAsync(() => Volatile.Read(ref waiting) == 4, "ceil(8 / 2) = 4 claims are in flight together");
        gate.SetResult();

        (await cycle.WaitAsync(TimeSpan.FromSeconds(20), Ct)).Should().Be(40);
        _store.All().Should().OnlyContain(m => m.Status == OutboxStatus.Sent && m.LeaseOwner == null);
        dispatcher.Attempts.Select(a => a.Id).Should().OnlyHaveUniqueItems();
        _store.ClaimTokens.Should().OnlyHaveUniqueItems();
    }

    [Fact]
    public async Task At_most_two_batches_are_claimed_but_not_started()
    {
        _store.AddMany(50, Start);
        var release = new TaskCompletionSource<DispatchResult>(TaskCreationOptions.RunContinuationsAsynchronously);
        int calls = 0;
        var dispatcher = new TestDispatcher(_time, (_, _, _) => Interlocked.Increment(ref calls) == 1 ? new ValueTask<DispatchResult>(release.Task) : ValueTask.FromResult(DispatchResult.Success));
        OutboxProcessor processor = Processors.Create(_store, dispatcher, _time, new OutboxOptions { BatchSize = 10, MaxConcurrency = 1 });

        Task<int> cycle = processor.ProcessOnceAsync(Ct);
        await Eventually.TrueAsync(() => dispatcher.Attempts.Count == 1 && _store.ClaimTokens.Count == 2, "the first call has started and a second batch was claimed");
        _store.CountLeased().Should().Be(20, "one batch in flight or waiting and one batch ahead; the claimer waits for room");
        release.SetResult(DispatchResult.Success);

        (await cycle.WaitAsync(TimeSpan.FromSeconds(20), Ct)).Should().Be(50);
    }

    [Fact]
    public async Task Outcomes_are_written_in_batches_not_one_round_trip_per_message()
    {
        _store.AddMany(10, Start);
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        _store.BeforeComplete = () => gate.Task;
        var dispatcher = new TestDispatcher(_time, (_, _) => DispatchResult.Success);
        OutboxProcessor processor = Processors.Create(_store, dispatcher, _time, new OutboxOptions { BatchSize = 10, MaxConcurrency = 10 });

        Task<int> cycle = processor.ProcessOnceAsync(Ct);
        await Eventually.TrueAsync(() => dispatcher.Attempts.Count == 10, "all ten calls ran while the first write is held");
        gate.SetResult();
        await cycle.WaitAsync(TimeSpan.FromSeconds(20), Ct);

        _store.CompleteBatchSizes.Sum().Should().Be(10);
        _store.CompleteBatchSizes.Count.Should().BeLessThanOrEqualTo(2);
    }

    [Fact]
    public async Task Stopping_a_cycle_releases_claimed_records_that_were_not_started()
    {
        List<Guid> ids = _store.AddMany(10, Start);
        using var stop = new CancellationTokenSource();
        var firstStarted = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var release = new TaskCompletionSource<DispatchResult>(TaskCreationOptions.RunContinuationsAsynchronously);
        var dispatcher = new TestDispatcher(_time, (_, _, _) =>
        {
            firstStarted.TrySetResult();
            return new ValueTask<DispatchResult>(release.Task);
        });
        OutboxProcessor processor = Processors.Create(_store, dispatcher, _time, new OutboxOptions { BatchSize = 10, MaxConcurrency = 1 });

        Task<int> cycle = processor.ProcessOnceAsync(stop.Token);
        await firstStarted.Task.WaitAsync(TimeSpan.FromSeconds(20), Ct);
        await stop.CancelAsync();
        release.SetResult(DispatchResult.Success);

        (await cycle.WaitAsync(TimeSpan.FromSeconds(20), Ct)).Should().Be(1, "the call in flight finishes; no new call starts");
        _store.All().Count(m => m.Status == OutboxStatus.Sent).Should().Be(1);
        _store.CountLeased().Should().Be(0, "the nine unstarted records are released for any instance to claim at once");
        _store.Released.Should().HaveCount(9);
        _store.All().Where(m => m.Status == OutboxStatus.Pending).Should().OnlyContain(m => m.RetryCount == 0 && m.NextAttemptAt == Start);
        dispatcher.Attempts.Should().ContainSingle();
        ids.Should().Contain(dispatcher.Attempts.Single().Id);
    }

    [Fact]
    public async Task A_fenced_outcome_is_not_written_and_does_not_call_the_dead_letter_hook()
    {
        Guid id = _store.AddMany(1, Start)[0];
        var dispatcher = new TestDispatcher(_time, (m, _) =>
        {
            _store.StealLease(m.Id, "other-instance/7"); // our lease expired and another instance claimed the record
            return DispatchResult.Permanent("HTTP 404 Not Found");
        });
        var hook = new RecordingDeadLetterHandler();
        var logger = new FakeLogger<OutboxProcessor>();
        OutboxProcessor processor = Processors.Create(_store, dispatcher, _time, deadLetterHandlers: [hook], logger: logger);

        await processor.ProcessOnceAsync(Ct);

        OutboxMessage record = _store.Get(id);
        record.Status.Should().Be(OutboxStatus.Pending, "the newer claim owns the record");
        record.LeaseOwner.Should().Be("other-instance/7");
        hook.Received.Should().BeEmpty();
        logger.Collector.GetSnapshot().Should().Contain(r => r.Id.Id == 1104 && r.Level == LogLevel.Warning);
    }

    [Fact]
    public async Task A_store_that_fails_to_claim_makes_the_cycle_throw()
    {
        _store.ClaimFailure = () => new InvalidOperationException("database is down");
        var dispatcher = new TestDispatcher(_time, (_, _) => DispatchResult.Success);
        OutboxProcessor processor = Processors.Create(_store, dispatcher, _time);

        Func<Task> act = () => processor.ProcessOnceAsync(Ct);

        await act.Should().ThrowAsync<InvalidOperationException>().WithMessage("database is down");
    }

    [Fact]
    public async Task A_failed_outcome_write_makes_the_cycle_throw_and_leaves_the_leases_to_expire()
    {
        Guid id = _store.AddMany(1, Start)[0];
        _store.CompleteFailure = () => new InvalidOperationException("write failed");
        var dispatcher = new TestDispatcher(_time, (_, _) => DispatchResult.Success);
        OutboxProcessor processor = Processors.Create(_store, dispatcher, _time);

        // The write is retried while the lease is valid (the clock moves 10 s per step), then the cycle gives up.
        Task<int> cycle = processor.ProcessOnceAsync(Ct);
        await Eventually.TrueAsync(() => cycle.IsCompleted, "the writer gives up when the lease runs out", step: () => _time.Advance(TimeSpan.FromSeconds(10)));
        Func<Task> act = () => cycle;

        await act.Should().ThrowAsync<InvalidOperationException>().WithMessage("write failed");
        _store.Get(id).LeaseOwner.Should().NotBeNull("the record is attempted again when its lease expires");
    }

    [Fact]
    public async Task The_last_error_is_truncated_to_2000_characters()
    {
        Guid id = _store.AddMany(1, Start)[0];
        var dispatcher = new TestDispatcher(_time, (_, _) => DispatchResult.Transient(new string('x', 5000)));
        OutboxProcessor processor = Processors.Create(_store, dispatcher, _time);

        await processor.ProcessOnceAsync(Ct);

        _store.Get(id).LastError.Should().HaveLength(OutboxProcessor.MaxErrorLength);
    }

    [Fact]
    public async Task An_empty_outbox_claims_once_and_attempts_nothing()
    {
        var dispatcher = new TestDispatcher(_time, (_, _) => DispatchResult.Success);
        OutboxProcessor processor = Processors.Create(_store, dispatcher, _time);

        (await processor.ProcessOnceAsync(Ct)).Should().Be(0);
        _store.ClaimTokens.Should().ContainSingle();
    }
}
