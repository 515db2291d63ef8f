using FluentAssertions;
using OrderOutbox.Dispatching;
using Xunit;

namespace OrderOutbox.Tests.Dispatching;

public sealed class HttpRouteTableTests
{
    private static readonly Dictionary<string, string> Routes = new()
    {
        ["order.*"] = "orders",
        ["order.refunded"] = "finance",
        ["invoice.issued"] = "finance",
    };

    [Theory]
    [InlineData("order.completed", "orders")]
    [InlineData("order.item.added", "orders")]
    [InlineData("order.refunded", "finance")]
    [InlineData("invoice.issued", "finance")]
    [InlineData("order", "fallback")]
    [InlineData("orders.completed", "fallback")]
    [InlineData("Order.completed", "fallback")]
    [InlineData("invoice.issued.v2", "fallback")]
    public void Exact_routes_win_over_prefixes_and_the_default_catches_the_rest(string messageType, string expected)
    {
        new HttpRouteTable(Routes, "fallback").TryMatch(messageType, out string? endpoint).Should().BeTrue();
        endpoint.Should().Be(expected);
    }

    [Fact]
    public void Without_a_default_an_unrouted_type_has_no_endpoint()
    {
        new HttpRouteTable(Routes, null).TryMatch("customer.created", out string? endpoint).Should().BeFalse();
        endpoint.Should().BeNull();
    }

    public static TheoryData<string[], string> InvalidTables => new()
    {
        { ["order.*", "order.item.*"], "R['order.item.*']: overlaps the route 'order.*' (every type matching 'order.item.*' also matches 'order.*'); keep one, or list the types of one of them exactly." },
        { ["order.completed", "Order.Completed"], "duplicates the route" },
        { ["*"], "R['*']: '*' is allowed only as the last segment of a prefix route such as order.*; use HttpDispatcherOptions.DefaultEndpoint to catch every other type." },
        { ["order*"], "R['order*']: '*' is allowed only" },
        { ["*.completed"], "R['*.completed']: '*' is allowed only" },
        { [".*"], "R['.*']: '*' is allowed only" },
        { [" order.completed"], "without surrounding white space" },
    };

    [Theory]
    [MemberData(nameof(InvalidTables))]
    public void Bad_tables_are_refused_with_the_route_named(string[] patterns, string expected)
    {
        var routes = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (string pattern in patterns)
        {
            routes[pattern] = "orders";
        }

        var failures = new List<string>();
        HttpRouteTable.Validate(routes, _ => true, "R", failures);

        failures.Should().ContainSingle().Which.Should().Contain(expected);
    }

    [Fact]
    public void A_route_to_an_unknown_endpoint_is_refused()
    {
        var failures = new List<string>();

        HttpRouteTable.Validate(new Dictionary<string, string> { ["order.*"] = "ordrs" }, name => name == "orders", "R", failures);

        failures.Should().ContainSingle().Which.Should().Be("R['order.*'] = 'ordrs': no such endpoint; configure it under HttpDispatcherOptions.Endpoints['ordrs'].");
    }

    [Fact]
    public void A_valid_table_passes()
    {
        var failures = new List<string>();

        HttpRouteTable.Validate(Routes, _ => true, "R", failures);

        failures.Should().BeEmpty();
    }
}
