using FluentAssertions;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using OrderOutbox.Diagnostics;
using OrderOutbox.Hosting;
using OrderOutbox.Processing;
using OrderOutbox.Tests.Support;
using Xunit;

namespace OrderOutbox.Tests.Hosting;

public sealed class OutboxDispatcherHeartbeatTests
{
    private static readonly DateTimeOffset Start = new(2026, 3, 1, 9, 0, 0, TimeSpan.Zero);
    private static readonly TimeSpan CallTakes = TimeSpan.FromMinutes(10);

    [Fact]
    public async Task A_long_drain_beats_the_heartbeat_per_written_batch_not_only_when_its_cycle_ends()
    {
        var time = new FakeTimeProvider(Start);
        var store = new InMemoryOutboxStore(time);
        store.AddMany(3, Start);
        var heartbeat = new OutboxDispatcherHeartbeat(time);
        var dispatcher = new SlowDispatcher(time, heartbeat);
        var options = new OutboxOptions
        {
            BatchSize = 1,
            MaxConcurrency = 1,
            DispatchTimeout = TimeSpan.FromMinutes(15),
            LeaseDuration = TimeSpan.FromHours(3),
        };

        // Built as the container builds it, so the heartbeat reaches the engine the way it does in a host.
        using ServiceProvider services = new ServiceCollection()
            .AddSingleton<IOutboxStore>(store)
            .AddSingleton<IDispatcher>(dispatcher)
            .AddSingleton<IBackoffPolicy>(new ExponentialBackoffPolicy(options.Backoff))
            .AddSingleton(Options.Create(options))
            .AddSingleton<TimeProvider>(time)
            .AddSingleton(new OutboxWakeUp())
            .AddSingleton(new OutboxMetrics(null))
            .AddSingleton<ILogger<OutboxProcessor>>(NullLogger<OutboxProcessor>.Instance)
            .AddSingleton(heartbeat)
            .BuildServiceProvider();
        OutboxProcessor processor = ActivatorUtilities.CreateInstance<OutboxProcessor>(services);

        (await processor.RunCycleAsync(TestContext.Current.CancellationToken, CancellationToken.None)).Should().Be(3);

        // The third call starts 20 minutes into the cycle, after the first two outcomes were written.
        dispatcher.SeenByThirdCall.Should().NotBeNull("each outcome write of the hosted dispatcher's cycle beats the heartbeat");
        dispatcher.SeenByThirdCall!.Value.Should().BeOnOrAfter(Start + CallTakes);
        store.All().Should().OnlyContain(m => m.Status == OutboxStatus.Sent);
    }

    [Fact]
    public async Task ProcessOnceAsync_run_by_hand_does_not_beat_the_hosted_dispatchers_heartbeat()
    {
        var time = new FakeTimeProvider(Start);
        var store = new InMemoryOutboxStore(time);
        store.AddMany(2, Start);
        var heartbeat = new OutboxDispatcherHeartbeat(time);
        var options = new OutboxOptions { BatchSize = 1, MaxConcurrency = 1 };
        OutboxProcessor processor = new(
            store,
            new TestDispatcher(time, (_, _) => DispatchResult.Success),
            new ExponentialBackoffPolicy(options.Backoff),
            [],
            Options.Create(options),
            time,
            new OutboxWakeUp(),
            new OutboxMetrics(null),
            NullLogger<OutboxProcessor>.Instance,
            heartbeat: heartbeat);

        (await processor.ProcessOnceAsync(TestContext.Current.CancellationToken)).Should().Be(2);

        heartbeat.LastCompletedCycleAt.Should().BeNull("only the background dispatcher's cycles speak for its health");
    }

    /// <summary>Each call takes <see cref="CallTakes"/> of fake time; the third one looks at the heartbeat.</summary>
    private sealed class SlowDispatcher(FakeTimeProvider time, OutboxDispatcherHeartbeat heartbeat) : IDispatcher
    {
        private int _calls;

        public DateTimeOffset? SeenByThirdCall { get; private set; }

        public async ValueTask<DispatchResult> DispatchAsync(OutboxMessage message, CancellationToken cancellationToken)
        {
            if (Interlocked.Increment(ref _calls) == 3)
            {
                // The earlier writes run on their own task: give them (real) time to land, without asserting any timing.
                try
                {
                    await Eventually.TrueAsync(() => heartbeat.LastCompletedCycleAt is not null, "an outcome write beat the heartbeat", timeoutSeconds: 5);
                }
                catch (TimeoutException)
                {
                    // left null: the assertion reports it
                }

                SeenByThirdCall = heartbeat.LastCompletedCycleAt;
            }

            time.Advance(CallTakes);
            return DispatchResult.Success;
        }
    }
}
