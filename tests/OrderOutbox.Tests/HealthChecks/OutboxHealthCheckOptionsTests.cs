using FluentAssertions;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using OrderOutbox.HealthChecks;
using OrderOutbox.Tests.Support;
using Xunit;

namespace OrderOutbox.Tests.HealthChecks;

public sealed class OutboxHealthCheckOptionsTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Bad_options_stop_the_host_at_start_with_the_option_its_value_and_the_allowed_range()
    {
        using IHost host = Host.CreateDefaultBuilder()
            .ConfigureLogging(l => l.ClearProviders())
            .ConfigureServices(services =>
            {
                services.AddSingleton<IDispatcher>(new TestDispatcher(TimeProvider.System, (_, _) => DispatchResult.Success));
                services.AddOrderOutbox(o => o.PollingInterval = TimeSpan.FromMinutes(10))
                    .UseSqlite("Data Source=" + Path.Combine(Path.GetTempPath(), "orderoutbox-options-" + Guid.NewGuid().ToString("N") + ".db"));
                services.AddHealthChecks().AddOrderOutbox(o =>
                {
                    o.MaxCycleAge = TimeSpan.FromMinutes(5);
                    o.StoreTimeout = TimeSpan.FromMilliseconds(10);
                    o.MaxDeadLetters = -1;
                });
            })
            .Build();

        OptionsValidationException error = (await FluentActions.Awaiting(() => host.StartAsync(Ct)).Should().ThrowAsync<OptionsValidationException>()).Which;

        error.Failures.Should().Contain(f => f.Contains("OutboxHealthCheckOptions.MaxCycleAge = 00:05:00 must be longer than OutboxOptions.PollingInterval = 00:10:00", StringComparison.Ordinal));
        error.Failures.Should().Contain(f => f.StartsWith("OutboxHealthCheckOptions.StoreTimeout = 00:00:00.0100000", StringComparison.Ordinal) && f.Contains("00:05:00", StringComparison.Ordinal));
        error.Failures.Should().Contain(f => f.StartsWith("OutboxHealthCheckOptions.MaxDeadLetters = -1", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData(false, true)]
    [InlineData(true, false)]
    public void The_cycle_bound_is_not_compared_with_the_poll_when_the_dispatcher_is_not_checked(bool checkDispatcher, bool runDispatcher)
    {
        var options = new OutboxHealthCheckOptions { CheckDispatcher = checkDispatcher, MaxCycleAge = TimeSpan.FromSeconds(1) };

        OutboxHealthCheckOptionsValidator.Collect(options, new OutboxOptions { RunDispatcher = runDispatcher, PollingInterval = TimeSpan.FromHours(1) })
            .Should().BeEmpty();
    }

    [Fact]
    public void The_defaults_are_valid_with_the_default_poll()
        => OutboxHealthCheckOptionsValidator.Collect(new OutboxHealthCheckOptions(), new OutboxOptions()).Should().BeEmpty();
}
