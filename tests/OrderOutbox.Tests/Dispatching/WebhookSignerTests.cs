using FluentAssertions;
using OrderOutbox.Dispatching;
using Xunit;

namespace OrderOutbox.Tests.Dispatching;

public sealed class WebhookSignerTests
{
    [Fact]
    public void Signs_the_example_of_the_standard_webhooks_specification()
    {
        WebhookSigner signer = WebhookSigner.Create(["whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"])!;

        signer.Sign("msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, "{\"test\": 2432232314}")
            .Should().Be("v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=");
    }

    [Fact]
    public void Several_secrets_give_space_separated_signatures_in_order()
    {
        const string a = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
        string b = "whsec_" + Convert.ToBase64String(new byte[32]);

        string both = WebhookSigner.Create([a, b])!.Sign("id", 1, "{}");

        both.Should().Be(WebhookSigner.Create([a])!.Sign("id", 1, "{}") + " " + WebhookSigner.Create([b])!.Sign("id", 1, "{}"));
    }

    [Fact]
    public void No_secrets_means_no_signer() => WebhookSigner.Create([]).Should().BeNull();

    public static TheoryData<string?, string?> Secrets => new()
    {
        { "whsec_" + Convert.ToBase64String(new byte[24]), null },
        { "whsec_" + Convert.ToBase64String(new byte[64]), null },
        { "whsec_" + Convert.ToBase64String(new byte[23]), "decodes to 23 bytes; allowed 24 to 64" },
        { "whsec_" + Convert.ToBase64String(new byte[65]), "decodes to 65 bytes; allowed 24 to 64" },
        { "whsec_not*base64!", "is not valid base64 after whsec_" },
        { Convert.ToBase64String(new byte[32]), "does not start with whsec_ (a Standard Webhooks secret is whsec_ followed by base64 of 24 to 64 random bytes)" },
        { string.Empty, "is empty; expected whsec_ followed by base64 of 24 to 64 random bytes" },
        { null, "is empty; expected whsec_ followed by base64 of 24 to 64 random bytes" },
    };

    [Theory]
    [MemberData(nameof(Secrets))]
    public void Secrets_are_whsec_and_base64_of_24_to_64_bytes(string? secret, string? problem)
        => WebhookSigner.Describe(secret).Should().Be(problem);
}
