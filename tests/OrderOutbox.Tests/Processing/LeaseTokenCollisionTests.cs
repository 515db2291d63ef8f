using FluentAssertions;
using Microsoft.Extensions.Time.Testing;
using OrderOutbox.Processing;
using OrderOutbox.Tests.Support;
using Xunit;

namespace OrderOutbox.Tests.Processing;

/// <summary>Lease tokens stay unique across processes even when every replica is configured with the same InstanceId.</summary>
public sealed class LeaseTokenCollisionTests
{
    private static readonly DateTimeOffset Start = new(2026, 3, 1, 9, 0, 0, TimeSpan.Zero);
    private readonly FakeTimeProvider _time = new(Start);

    private CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Two_processes_with_the_same_instance_id_a_stale_outcome_is_rejected_and_the_new_claims_outcome_is_written()
    {
        var store = new InMemoryOutboxStore(_time);
        Guid id = store.AddMany(1, Start)[0];
        var options = new OutboxOptions { InstanceId = "node", LeaseDuration = TimeSpan.FromMinutes(1) };

        // Process A claims the record, then hangs past its lease (it ignores its timeout, as a stuck process would).
        var releaseA = new TaskCompletionSource<DispatchResult>(TaskCreationOptions.RunContinuationsAsynchronously);
        var startedA = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var dispatcherA = new TestDispatcher(_time, (_, _, _) =>
        {
            startedA.TrySetResult();
            return new ValueTask<DispatchResult>(releaseA.Task);
        });
        OutboxProcessor processA = Processors.Create(store, dispatcherA, _time, options);
        Task<int> cycleA = processA.ProcessOnceAsync(Ct);
        await startedA.Task.WaitAsync(TimeSpan.FromSeconds(20), Ct);

        // The lease expires; process B (a new process: its claim sequence starts again) claims the record.
        _time.Advance(TimeSpan.FromMinutes(2));
        var releaseB = new TaskCompletionSource<DispatchResult>(TaskCreationOptions.RunContinuationsAsynchronously);
        var startedB = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var dispatcherB = new TestDispatcher(_time, (_, _, _) =>
        {
            startedB.TrySetResult();
            return new ValueTask<DispatchResult>(releaseB.Task);
        });
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
}
