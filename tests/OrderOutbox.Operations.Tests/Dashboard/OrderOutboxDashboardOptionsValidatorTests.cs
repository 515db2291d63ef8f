using FluentAssertions;
using Microsoft.Extensions.Options;
using OrderOutbox.Dashboard;

namespace OrderOutbox.Operations.Tests.Dashboard;

public sealed class OrderOutboxDashboardOptionsValidatorTests
{
    public static TheoryData<Action<OrderOutboxDashboardOptions>, string?> Cases => new()
    {
        { o => o.AuthorizationPolicy = "ops", null },
        { o => o.AllowAnonymous = true, null },
        { o => { }, null }, // allowed at start: every request is refused (and an error logged)
        { o => { o.AuthorizationPolicy = "ops"; o.AllowAnonymous = true; }, "OrderOutboxDashboardOptions.AllowAnonymous = true and OrderOutboxDashboardOptions.AuthorizationPolicy = 'ops': choose one" },
        { o => o.AuthorizationPolicy = " ", "OrderOutboxDashboardOptions.AuthorizationPolicy = ' ': must be null or the name of a registered authorization policy." },
        { o => o.PayloadAuthorizationPolicy = "", "OrderOutboxDashboardOptions.PayloadAuthorizationPolicy = '': must be null" },
        { o => { o.AllowAnonymous = true; o.PageSize = 0; }, "OrderOutboxDashboardOptions.PageSize = 0: The field PageSize must be between 1 and 1000." },
        { o => { o.AllowAnonymous = true; o.PageSize = 1001; }, "OrderOutboxDashboardOptions.PageSize = 1001" },
        { o => { o.AllowAnonymous = true; o.RefreshInterval = TimeSpan.FromMilliseconds(999); }, "OrderOutboxDashboardOptions.RefreshInterval = 00:00:00.9990000: The field RefreshInterval must be between 00:00:01 and 01:00:00." },
        { o => { o.AllowAnonymous = true; o.RefreshInterval = TimeSpan.FromHours(1); }, null },
        { o => { o.AllowAnonymous = true; o.PurgeBatchSize = 2_001; }, "OrderOutboxDashboardOptions.PurgeBatchSize = 2001: The field PurgeBatchSize must be between 1 and 2000." },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void Validates(Action<OrderOutboxDashboardOptions> configure, string? failure)
    {
        var options = new OrderOutboxDashboardOptions();
        configure(options);

        ValidateOptionsResult result = new OrderOutboxDashboardOptionsValidator().Validate(null, options);

        if (failure is null)
        {
            result.Succeeded.Should().BeTrue(result.FailureMessage);
        }
        else
        {
            result.Failed.Should().BeTrue();
            result.FailureMessage.Should().Contain(failure);
        }
    }
}
