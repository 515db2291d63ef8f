using FluentAssertions;
using Microsoft.Extensions.Time.Testing;
using OrderOutbox.Processing;
using OrderOutbox.Tests.Support;
using Xunit;

namespace OrderOutbox.Tests.Processing;

/// <summary><c>default(DispatchResult)</c> (a dispatcher that forgot to set a result) must never mean success.</summary>
public sealed class DefaultDispatchResultTests
{
    private static readonly DateTimeOffset Start = new(2026, 3, 1, 9, 0, 0, TimeSpan.Zero);
    private readonly FakeTimeProvider _time = new(Start);

    private CancellationToken Ct => TestContext.Current.CancellationToken;

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
}
