using FluentAssertions;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using OrderOutbox.Hosting;
using OrderOutbox.Tests.Support;
using Xunit;

namespace OrderOutbox.Tests.Hosting;

public sealed class OutboxDispatcherServiceTests : IAsyncDisposable
{
    private static readonly DateTimeOffset Start = new(2026, 3, 1, 9, 0, 0, TimeSpan.Zero);
    private readonly FakeTimeProvider _time = new(Start);
    private readonly InMemoryOutboxStore _store;
    private readonly FakeLogCollector _logs = new();
    private ServiceProvider? _provider;

    public OutboxDispatcherServiceTests() => _store = new InMemoryOutboxStore(_time);

    private CancellationToken Ct => TestContext.Current.CancellationToken;

    public async ValueTask DisposeAsync()
    {
        if (_provider is not null)
        {
            await _provider.DisposeAsync();
        }
    }

    private OutboxDispatcherService CreateService(IDispatcher dispatcher, Action<OutboxOptions>? configure = null, IDeadLetterHandler? deadLetter = null)
    {
        var services = new ServiceCollection();
        services.AddLogging(b => b.SetMinimumLevel(LogLevel.Trace).AddProvider(new FakeLoggerProvider(_logs)));
        services.AddSingleton<TimeProvider>(_time);
        services.AddSingleton<IOutboxStore>(_store);
        services.AddSingleton<IOutboxAdmin>(_store);
        services.AddSingleton(dispatcher);
        if (deadLetter is not null)
        {
            services.AddSingleton(deadLetter);
        }

        services.AddOrderOutbox(o =>
        {
            o.PollingInterval = TimeSpan.FromMinutes(1);
            configure?.Invoke(o);
        });
        _provider = services.BuildServiceProvider();
        return _provider.GetServices<Microsoft.Extensions.Hosting.IHostedService>().OfType<OutboxDispatcherService>().Single();
    }

    /// <summary>A dispatcher whose calls signal that they started, then block until their token is cancelled.</summary>
    private (TestDispatcher Dispatcher, TaskCompletionSource FirstStarted) BlockedUntilCancelled()
    {
        var firstStarted = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var dispatcher = new TestDispatcher(_time, async (_, _, ct) =>
        {
            firstStarted.TrySetResult();
            await Task.Delay(Timeout.InfiniteTimeSpan, ct);
            return DispatchResult.Success;
        });
        return (dispatcher, firstStarted);
    }

    private List<FakeLogRecord> Logs(int eventId) => _logs.GetSnapshot().Where(r => r.Id.Id == eventId).ToList();

    [Fact]
    public async Task A_failing_cycle_is_logged_once_the_loop_waits_and_goes_on_and_recovery_is_logged()
    {
        int failuresLeft = 3;
        _store.ClaimFailure = () => Interlocked.Decrement(ref failuresLeft) >= 0 ? new InvalidOperationException("database is down") : null;
        Guid id = _store.AddMany(1, Start)[0];
        var dispatcher = new TestDispatcher(_time, (_, _) => DispatchResult.Success);
        OutboxDispatcherService service = CreateService(dispatcher);

        await service.StartAsync(Ct);
        await Eventually.TrueAsync(() => _store.ClaimCalls >= 1, "the first cycle ran");
        _store.ClaimCalls.Should().Be(1, "the loop waits after a failure instead of hammering the database");

        await Eventually.TrueAsync(() => _store.Get(id).Status == OutboxStatus.Sent, "later cycles run and deliver", step: () => _time.Advance(TimeSpan.FromMilliseconds(500)));
        await service.StopAsync(Ct);

        _store.ClaimCalls.Should().BeGreaterThanOrEqualTo(4);
        Logs(1004).Should().ContainSingle().Which.Level.Should().Be(LogLevel.Error);
        Logs(1004)[0].Exception.Should().BeOfType<InvalidOperationException>();
        Logs(1005).Should().HaveCount(2).And.OnlyContain(r => r.Level == LogLevel.Debug);
        Logs(1006).Should().ContainSingle().Which.Level.Should().Be(LogLevel.Information);
        service.ExecuteTask!.IsCompletedSuccessfully.Should().BeTrue();
    }

    [Fact]
    public async Task Failure_waits_start_at_one_second_and_double_up_to_the_polling_interval()
    {
        _store.ClaimFailure = () => new InvalidOperationException("down");
        var dispatcher = new TestDispatcher(_time, (_, _) => DispatchResult.Success);
        OutboxDispatcherService service = CreateService(dispatcher, o => o.PollingInterval = TimeSpan.FromSeconds(5));
        var claimTimes = new List<TimeSpan>();
        _store.Claimed += () => { lock (claimTimes) { claimTimes.Add(_time.GetUtcNow() - Start); } };

        await service.StartAsync(Ct);
        await Eventually.TrueAsync(() => _store.ClaimCalls >= 6, "six cycles ran", step: () => _time.Advance(TimeSpan.FromMilliseconds(100)));
        await service.StopAsync(Ct);

        List<double> gaps;
        lock (claimTimes)
        {
            gaps = claimTimes.Zip(claimTimes.Skip(1), (a, b) => (b - a).TotalSeconds).Take(5).ToList();
        }

        // Each wait is at least the backoff (1, 2, 4, then capped at 5 s, never 8); the fake clock moves in 100 ms steps.
        gaps.Should().HaveCount(5);
        gaps.Zip(new[] { 1.0, 2, 4, 5, 5 }).Should().OnlyContain(p => p.First >= p.Second && p.First < p.Second + 2);
    }

    [Fact]
    public async Task Cancellation_is_a_clean_stop()
    {
        var dispatcher = new TestDispatcher(_time, (_, _) => DispatchResult.Success);
        OutboxDispatcherService service = CreateService(dispatcher);

        await service.StartAsync(Ct);
        await Eventually.TrueAsync(() => _store.ClaimCalls >= 1, "the first cycle ran");
        await service.StopAsync(Ct);

        service.ExecuteTask!.IsCompletedSuccessfully.Should().BeTrue();
        _logs.GetSnapshot().Should().NotContain(r => r.Level >= LogLevel.Warning);
        Logs(1003).Should().ContainSingle();
    }

    [Fact]
    public async Task The_loop_polls_every_polling_interval()
    {
        var dispatcher = new TestDispatcher(_time, (_, _) => DispatchResult.Success);
        OutboxDispatcherService service = CreateService(dispatcher);

        await service.StartAsync(Ct);
        await Eventually.TrueAsync(() => _store.ClaimCalls == 1, "the first cycle ran");
        _store.AddMany(1, _time.GetUtcNow());
        await Eventually.TrueAsync(() => _store.ClaimCalls == 2, "the next poll comes after a minute", step: () => _time.Advance(TimeSpan.FromSeconds(10)));
        await service.StopAsync(Ct);

        _store.All().Should().OnlyContain(m => m.Status == OutboxStatus.Sent);
    }

    [Fact]
    public async Task A_wake_up_starts_a_cycle_before_the_polling_interval()
    {
        var dispatcher = new TestDispatcher(_time, (_, _) => DispatchResult.Success);
        OutboxDispatcherService service = CreateService(dispatcher, o => o.PollingInterval = TimeSpan.FromHours(1));
        OutboxWakeUp wakeUp = _provider!.GetRequiredService<OutboxWakeUp>();

        await service.StartAsync(Ct);
        await Eventually.TrueAsync(() => _store.ClaimCalls == 1, "the first cycle ran");
        Guid id = _store.AddMany(1, _time.GetUtcNow())[0];
        wakeUp.Notify();
        await Eventually.TrueAsync(() => _store.Get(id).Status == OutboxStatus.Sent, "the notification started a cycle without the clock moving");
        await service.StopAsync(Ct);
    }

    [Fact]
    public async Task After_a_commit_notification_the_dispatcher_claims_once_more_after_the_cooldown_and_again_while_it_finds_work()
    {
        TimeSpan cooldown = TimeSpan.FromMilliseconds(5);
        var dispatcher = new TestDispatcher(_time, (_, _) => DispatchResult.Success);
        OutboxDispatcherService service = CreateService(dispatcher, o => o.PollingInterval = TimeSpan.FromHours(1));
        OutboxWakeUp wakeUp = _provider!.GetRequiredService<OutboxWakeUp>();
        await service.StartAsync(Ct);
        await Eventually.TrueAsync(() => _store.ClaimCalls == 1, "the first cycle ran");

        // The notifying record: the notification wakes the dispatcher at once.
        Guid notified = _store.AddMany(1, _time.GetUtcNow())[0];
        wakeUp.NotifyCommitted(cooldown);
        await Eventually.TrueAsync(() => _store.Get(notified).Status == OutboxStatus.Sent, "the notification started a cycle");
        await Eventually.TrueAsync(() => _store.ClaimCalls >= 2, "that cycle's claims ended");

        // A record whose own notification the cooldown suppressed, committed after that claim.
        Guid suppressed = _store.AddMany(1, _time.GetUtcNow())[0];
        _time.Advance(cooldown);
        await Eventually.TrueAsync(() => _store.Get(suppressed).Status == OutboxStatus.Sent, "the follow-up claim one cooldown later took it");

        // That cycle found work, so it asks for one more claim a cooldown later; that one finds nothing and it stops there.
        await Eventually.TrueAsync(() => wakeUp.PendingCount == 1, "one more follow-up is scheduled", step: null);
        int claims = _store.ClaimCalls;
        _time.Advance(cooldown);
        await Eventually.TrueAsync(() => _store.ClaimCalls > claims, "the last follow-up claimed");
        await Eventually.TrueAsync(() => wakeUp.PendingCount == 0, "an empty claim schedules no further follow-up");
        await service.StopAsync(Ct);
    }

    [Fact]
    public async Task A_record_enqueued_in_this_process_is_claimed_shortly_after_without_any_notification()
    {
        var dispatcher = new TestDispatcher(_time, (_, _) => DispatchResult.Success);
        OutboxDispatcherService service = CreateService(dispatcher, o => o.PollingInterval = TimeSpan.FromHours(1));
        OutboxWakeUp wakeUp = _provider!.GetRequiredService<OutboxWakeUp>();
        await service.StartAsync(Ct);
        await Eventually.TrueAsync(() => _store.ClaimCalls == 1, "the first cycle ran");

        Guid id = _store.AddMany(1, _time.GetUtcNow())[0];
        wakeUp.RecordEnqueued();
        _time.Advance(OutboxWakeUp.AfterLocalEnqueue[0]);

        await Eventually.TrueAsync(() => _store.Get(id).Status == OutboxStatus.Sent, "the in-process enqueue signal started a cycle");
        await service.StopAsync(Ct);
    }

    [Fact]
    public async Task An_idle_dispatcher_schedules_nothing_but_its_poll()
    {
        var dispatcher = new TestDispatcher(_time, (_, _) => DispatchResult.Success);
        OutboxDispatcherService service = CreateService(dispatcher, o => o.PollingInterval = TimeSpan.FromMinutes(1));
        OutboxWakeUp wakeUp = _provider!.GetRequiredService<OutboxWakeUp>();
        await service.StartAsync(Ct);
        await Eventually.TrueAsync(() => _store.ClaimCalls == 1, "the first cycle ran");

        wakeUp.PendingCount.Should().Be(0);

        // The loop may not be waiting on the clock yet when the first cycle's claim is seen: move the clock in steps
        // until the poll runs, rather than once (a single early Advance would leave the poll's timer unfired).
        await Eventually.TrueAsync(() => _store.ClaimCalls >= 2, "the poll ran", step: () => _time.Advance(TimeSpan.FromSeconds(1)));
        _store.ClaimCalls.Should().Be(2, "nothing but the poll claimed");
        wakeUp.PendingCount.Should().Be(0, "an empty cycle adds no wake-up");
        await service.StopAsync(Ct);
    }

    [Fact]
    public async Task The_dispatcher_does_not_run_when_switched_off()
    {
        var dispatcher = new TestDispatcher(_time, (_, _) => DispatchResult.Success);
        OutboxDispatcherService service = CreateService(dispatcher, o => o.RunDispatcher = false);

        await service.StartAsync(Ct);
        await service.ExecuteTask!.WaitAsync(TimeSpan.FromSeconds(20), Ct);
        await service.StopAsync(Ct);

        _store.ClaimCalls.Should().Be(0);
        Logs(1002).Should().ContainSingle();
    }

    [Fact]
    public async Task Shutdown_lets_calls_in_flight_finish_records_them_and_releases_unstarted_claims()
    {
        _store.AddMany(10, Start);
        var firstStarted = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var finish = new TaskCompletionSource<DispatchResult>(TaskCreationOptions.RunContinuationsAsynchronously);
        CancellationToken seen = default;
        var dispatcher = new TestDispatcher(_time, (_, _, ct) =>
        {
            seen = ct;
            firstStarted.TrySetResult();
            return new ValueTask<DispatchResult>(finish.Task);
        });
        OutboxDispatcherService service = CreateService(dispatcher, o => o.MaxConcurrency = 1);

        await service.StartAsync(Ct);
        await firstStarted.Task.WaitAsync(TimeSpan.FromSeconds(20), Ct);
        using var hostShutdownTimeout = new CancellationTokenSource();
        Task stopping = service.StopAsync(hostShutdownTimeout.Token);
        await Task.Yield();
        seen.IsCancellationRequested.Should().BeFalse("the call in flight keeps running while the host stops");
        stopping.IsCompleted.Should().BeFalse();
        finish.SetResult(DispatchResult.Success);
        await stopping.WaitAsync(TimeSpan.FromSeconds(20), Ct);

        _store.All().Count(m => m.Status == OutboxStatus.Sent).Should().Be(1);
        _store.CountLeased().Should().Be(0);
        _store.Released.Should().HaveCount(9);
        dispatcher.Attempts.Should().ContainSingle();
    }

    [Fact]
    public async Task The_shutdown_timeout_cancels_calls_in_flight_and_releases_their_records()
    {
        Guid id = _store.AddMany(1, Start)[0];
        (TestDispatcher dispatcher, TaskCompletionSource firstStarted) = BlockedUntilCancelled();
        OutboxDispatcherService service = CreateService(dispatcher);

        await service.StartAsync(Ct);
        await firstStarted.Task.WaitAsync(TimeSpan.FromSeconds(20), Ct);
        using var hostShutdownTimeout = new CancellationTokenSource();
        Task stopping = service.StopAsync(hostShutdownTimeout.Token);
        await hostShutdownTimeout.CancelAsync();
        await stopping.WaitAsync(TimeSpan.FromSeconds(20), Ct);
        await Eventually.TrueAsync(() => service.ExecuteTask!.IsCompleted, "the loop ends");

        OutboxMessage record = _store.Get(id);
        record.Status.Should().Be(OutboxStatus.Pending, "an aborted call is not counted as a failure");
        record.RetryCount.Should().Be(0);
        record.LeaseOwner.Should().BeNull("the record is released for another instance");
    }

    [Fact]
    public async Task The_grace_period_cancels_calls_in_flight_before_the_host_gives_up_and_stop_returns_after_the_release()
    {
        Guid id = _store.AddMany(1, Start)[0];
        (TestDispatcher dispatcher, TaskCompletionSource firstStarted) = BlockedUntilCancelled();
        OutboxDispatcherService service = CreateService(dispatcher, o => o.ShutdownGracePeriod = TimeSpan.FromSeconds(3));

        await service.StartAsync(Ct);
        await firstStarted.Task.WaitAsync(TimeSpan.FromSeconds(20), Ct);
        Task stopping = service.StopAsync(CancellationToken.None); // a host that would wait for ever
        _time.Advance(TimeSpan.FromSeconds(2));
        await Task.Delay(50, Ct);
        stopping.IsCompleted.Should().BeFalse("the call may go on during the grace period");
        _time.Advance(TimeSpan.FromSeconds(1));
        await stopping.WaitAsync(TimeSpan.FromSeconds(20), Ct);

        service.ExecuteTask!.IsCompleted.Should().BeTrue("StopAsync returns only after the loop has ended");
        _store.Get(id).LeaseOwner.Should().BeNull("the cancelled call's record was released before StopAsync returned");
        _store.Get(id).RetryCount.Should().Be(0);
    }

    [Fact]
    public async Task Sent_records_are_purged_when_a_retention_is_set()
    {
        Guid id = _store.AddMany(1, Start)[0];
        var dispatcher = new TestDispatcher(_time, (_, _) => DispatchResult.Success);
        OutboxDispatcherService service = CreateService(dispatcher, o =>
        {
            o.SentRetention = TimeSpan.FromDays(7);
            o.PurgeInterval = TimeSpan.FromHours(1);
            o.PurgeBatchSize = 500;
        });

        await service.StartAsync(Ct);
        await Eventually.TrueAsync(() => _store.PurgeCalls >= 1 && _store.Get(id).Status == OutboxStatus.Sent, "a first purge ran at start and the record was sent");
        _store.LastPurgeSentBefore.Should().Be(Start - TimeSpan.FromDays(7));

        await Eventually.TrueAsync(() => _store.All().Count == 0, "a later purge deletes the record", step: () => _time.Advance(TimeSpan.FromHours(1)));
        await service.StopAsync(Ct);

        Logs(1007).Should().NotBeEmpty();
    }

    [Fact]
    public async Task No_purge_runs_without_a_retention()
    {
        var dispatcher = new TestDispatcher(_time, (_, _) => DispatchResult.Success);
        OutboxDispatcherService service = CreateService(dispatcher);

        await service.StartAsync(Ct);
        await Eventually.TrueAsync(() => _store.ClaimCalls >= 1, "the first cycle ran");
        _time.Advance(TimeSpan.FromDays(2));
        await service.StopAsync(Ct);

        _store.PurgeCalls.Should().Be(0);
    }
}
