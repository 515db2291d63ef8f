using FluentAssertions;
using OrderOutbox.Dispatching;
using Xunit;

namespace OrderOutbox.Tests.Dispatching;

public sealed class HttpStatusPolicyTests
{
    public static TheoryData<int, HttpStatusKind> DefaultTable => new()
    {
        { 200, HttpStatusKind.Success },
        { 204, HttpStatusKind.Success },
        { 299, HttpStatusKind.Success },
        { 301, HttpStatusKind.EndpointFault },
        { 302, HttpStatusKind.EndpointFault },
        { 307, HttpStatusKind.EndpointFault },
        { 308, HttpStatusKind.EndpointFault },
        { 400, HttpStatusKind.MessageFault },
        { 413, HttpStatusKind.MessageFault },
        { 415, HttpStatusKind.MessageFault },
        { 422, HttpStatusKind.MessageFault },
        { 409, HttpStatusKind.MessageFault },
        { 418, HttpStatusKind.MessageFault },
        { 401, HttpStatusKind.EndpointFault },
        { 403, HttpStatusKind.EndpointFault },
        { 404, HttpStatusKind.EndpointFault },
        { 405, HttpStatusKind.EndpointFault },
        { 410, HttpStatusKind.EndpointFault },
        { 421, HttpStatusKind.EndpointFault },
        { 408, HttpStatusKind.Transient },
        { 429, HttpStatusKind.Transient },
        { 500, HttpStatusKind.Transient },
        { 503, HttpStatusKind.Transient },
        { 599, HttpStatusKind.Transient },
        { 100, HttpStatusKind.Transient },
        { 0, HttpStatusKind.Transient },
        { 600, HttpStatusKind.Transient },
        { -1, HttpStatusKind.Transient },
    };

    [Theory]
    [MemberData(nameof(DefaultTable))]
    public void The_default_table(int status, HttpStatusKind expected)
        => HttpStatusPolicy.Defaults.Classify(status).Should().Be(expected);

    [Theory]
    [InlineData(400, HttpStatusKind.Transient)]
    [InlineData(409, HttpStatusKind.Transient)]
    [InlineData(404, HttpStatusKind.EndpointFault)]
    [InlineData(500, HttpStatusKind.Transient)]
    [InlineData(200, HttpStatusKind.Success)]
    public void Retry_client_errors_turns_every_message_fault_transient(int status, HttpStatusKind expected)
        => HttpStatusPolicy.Build(null, null, retryClientErrors: true).Classify(status).Should().Be(expected);

    [Fact]
    public void An_endpoints_entries_win_over_the_shared_ones_which_win_over_the_defaults()
    {
        var shared = new Dictionary<string, HttpStatusKind> { ["404"] = HttpStatusKind.MessageFault, ["409"] = HttpStatusKind.Success };
        var own = new Dictionary<string, HttpStatusKind> { ["409"] = HttpStatusKind.Transient };

        HttpStatusPolicy policy = HttpStatusPolicy.Build(shared, own, retryClientErrors: true);

        policy.Classify(404).Should().Be(HttpStatusKind.MessageFault, "an explicit entry wins over RetryClientErrors");
        policy.Classify(409).Should().Be(HttpStatusKind.Transient);
        policy.Classify(400).Should().Be(HttpStatusKind.Transient);
    }

    [Theory]
    [InlineData("404", true)]
    [InlineData("100", true)]
    [InlineData("599", true)]
    [InlineData("99", false)]
    [InlineData("600", false)]
    [InlineData("4xx", false)]
    [InlineData(" 404", false)]
    [InlineData("+404", false)]
    [InlineData("", false)]
    public void Keys_are_status_codes_from_100_to_599(string key, bool valid)
    {
        var failures = new List<string>();

        HttpStatusPolicy.Validate(new Dictionary<string, HttpStatusKind> { [key] = HttpStatusKind.Transient }, "HttpDispatcherOptions.StatusPolicy", failures);

        if (valid)
        {
            failures.Should().BeEmpty();
        }
        else
        {
            failures.Should().ContainSingle().Which.Should().Be($"HttpDispatcherOptions.StatusPolicy['{key}']: the key must be an HTTP status code from 100 to 599, for example \"404\".");
        }
    }

    [Fact]
    public void An_undefined_kind_is_refused()
    {
        var failures = new List<string>();

        HttpStatusPolicy.Validate(new Dictionary<string, HttpStatusKind> { ["404"] = (HttpStatusKind)9 }, "P", failures);

        failures.Should().ContainSingle().Which.Should().Be("P['404'] = 9: must be one of Success, MessageFault, EndpointFault, Transient.");
    }
}
