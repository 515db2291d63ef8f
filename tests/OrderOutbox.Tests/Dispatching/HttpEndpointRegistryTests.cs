using FluentAssertions;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using OrderOutbox.Dispatching;
using Xunit;

namespace OrderOutbox.Tests.Dispatching;

public sealed class HttpEndpointRegistryTests
{
    private static readonly string Secret = "whsec_" + Convert.ToBase64String(new byte[32]);

    private static HttpEndpointRegistry Registry(Action<HttpDispatcherOptions> configure)
    {
        var options = new HttpDispatcherOptions();
        configure(options);
        return new HttpEndpointRegistry(Options.Create(options), new FakeTimeProvider());
    }

    private static HttpEndpoint Endpoint(HttpEndpointRegistry registry, string messageType)
    {
        registry.TryGetHttpEndpoint(messageType, out HttpEndpoint? endpoint).Should().BeTrue();
        return endpoint!;
    }

    [Fact]
    public void A_named_endpoint_inherits_what_it_leaves_unset_and_keeps_what_it_sets()
    {
        HttpEndpointRegistry registry = Registry(o =>
        {
            o.SigningSecrets.Add(Secret);
            o.MaxRequestsPerSecond = 5;
            o.StatusPolicy["409"] = HttpStatusKind.Success;
            o.Endpoints["inherits"] = new HttpEndpointOptions { Url = new Uri("http://127.0.0.1:9/a") };
            o.Endpoints["own"] = new HttpEndpointOptions
            {
                Url = new Uri("http://127.0.0.1:9/b"),
                SigningSecrets = [],
                MaxRequestsPerSecond = 0,
                StatusPolicy = { ["404"] = HttpStatusKind.MessageFault },
            };
            o.Routes["a.*"] = "inherits";
            o.Routes["b.*"] = "own";
        });

        HttpEndpoint inherits = Endpoint(registry, "a.x");
        HttpEndpoint own = Endpoint(registry, "b.x");

        inherits.Signer.Should().NotBeNull();
        inherits.Limiter.IsRateLimited.Should().BeTrue();
        inherits.StatusPolicy.Classify(409).Should().Be(HttpStatusKind.Success);
        own.Signer.Should().BeNull("an explicitly empty list sends unsigned");
        own.Limiter.IsRateLimited.Should().BeFalse();
        own.StatusPolicy.Classify(404).Should().Be(HttpStatusKind.MessageFault);
        own.StatusPolicy.Classify(409).Should().Be(HttpStatusKind.Success, "the endpoint's entries go on top of the shared ones");
        own.Url.Should().Be(new Uri("http://127.0.0.1:9/b"));
    }

    [Fact]
    public void Each_endpoint_has_its_own_state_object_shared_by_every_message_routed_to_it()
    {
        HttpEndpointRegistry registry = Registry(o =>
        {
            o.Endpoint = new Uri("http://127.0.0.1:9/default");
            o.Endpoints["orders"] = new HttpEndpointOptions { Url = new Uri("http://127.0.0.1:9/orders") };
            o.Routes["order.*"] = "orders";
        });

        Endpoint(registry, "order.completed").Should().BeSameAs(Endpoint(registry, "order.cancelled"));
        Endpoint(registry, "invoice.issued").Should().NotBeSameAs(Endpoint(registry, "order.completed"));
        Endpoint(registry, "invoice.issued").Name.Should().Be(HttpDispatcherOptions.DefaultEndpointName);
        registry.EndpointNames.Should().BeEquivalentTo("default", "orders");
    }

    [Fact]
    public void Without_a_default_an_unrouted_type_has_no_endpoint()
    {
        HttpEndpointRegistry registry = Registry(o =>
        {
            o.Endpoints["orders"] = new HttpEndpointOptions { Url = new Uri("http://127.0.0.1:9/orders") };
            o.Routes["order.*"] = "orders";
        });

        ((IOutboxRouter)registry).TryGetEndpoint("invoice.issued", out string? name).Should().BeFalse();
        name.Should().BeNull();
    }
}
