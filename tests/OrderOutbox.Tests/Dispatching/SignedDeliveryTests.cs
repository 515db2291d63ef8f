using System.Text;
using FluentAssertions;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using OrderOutbox.Dispatching;
using OrderOutbox.Tests.Support;
using StandardWebhooks;
using StandardWebhooks.Diagnostics;
using Xunit;

namespace OrderOutbox.Tests.Dispatching;

/// <summary>
/// Signed deliveries checked by a real loopback receiver that verifies every request with the <c>StandardWebhooks</c>
/// package (answering 204 when the signature holds, 401 with the library's reason when it does not).
/// </summary>
public sealed class SignedDeliveryTests : IAsyncLifetime
{
    private static readonly string OldSecret = "whsec_" + Convert.ToBase64String(Enumerable.Range(1, 32).Select(i => (byte)i).ToArray());
    private static readonly string NewSecret = "whsec_" + Convert.ToBase64String(Enumerable.Range(100, 48).Select(i => (byte)i).ToArray());
    private readonly List<ServiceProvider> _providers = [];
    private VerifyingReceiver _old = null!;
    private VerifyingReceiver _new = null!;

    private CancellationToken Ct => TestContext.Current.CancellationToken;

    public async ValueTask InitializeAsync()
    {
        _old = await VerifyingReceiver.StartAsync(OldSecret);
        _new = await VerifyingReceiver.StartAsync(NewSecret);
    }

    public async ValueTask DisposeAsync()
    {
        foreach (ServiceProvider provider in _providers)
        {
            await provider.DisposeAsync();
        }

        await _old.DisposeAsync();
        await _new.DisposeAsync();
    }

    private IDispatcher Dispatcher(Uri endpoint, string[] secrets, TimeProvider? time = null, bool tamper = false)
    {
        var services = new ServiceCollection();
        services.AddLogging();

        // The receiver checks the timestamp against the real clock, so the fake one starts there.
        services.AddSingleton(time ?? new FakeTimeProvider(DateTimeOffset.UtcNow));
        services.AddOrderOutbox().UseHttpDispatcher(h =>
        {
            h.Endpoint = endpoint;
            foreach (string secret in secrets)
            {
                h.SigningSecrets.Add(secret);
            }
        });
        if (tamper)
        {
            services.AddHttpClient(HttpDispatcherOptions.HttpClientName).AddHttpMessageHandler(() => new TamperingHandler());
        }

        ServiceProvider provider = services.BuildServiceProvider();
        _providers.Add(provider);
        return provider.GetRequiredService<IDispatcher>();
    }

    private static OutboxMessage Message() => new()
    {
        Id = MessageId.NewId(DateTimeOffset.UnixEpoch.AddYears(56)),
        MessageType = "order.completed",
        Payload = "{\"orderId\":\"o-1\",\"note\":\"Käse 🧀\"}",
        CreatedAt = DateTimeOffset.UnixEpoch.AddYears(56),
        LeaseOwner = "test/1",
    };

    [Fact]
    public async Task A_signed_delivery_verifies_with_the_standard_webhooks_library()
    {
        OutboxMessage message = Message();

        DispatchResult result = await Dispatcher(_old.Url, [OldSecret]).DispatchAsync(message, Ct);

        result.Should().Be(DispatchResult.Success, _old.Refusals.FirstOrDefault());
        Dictionary<string, string> headers = _old.Verified.Single();
        headers["webhook-id"].Should().Be(message.Id.ToString("D"));
        headers["webhook-signature"].Should().StartWith("v1,").And.NotContain(" ");
    }

    [Fact]
    public async Task The_timestamp_is_the_time_providers_in_unix_seconds()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);

        await Dispatcher(_old.Url, [OldSecret], time).DispatchAsync(Message(), Ct);

        _old.Verified.Single()["webhook-timestamp"].Should().Be(time.GetUtcNow().ToUnixTimeSeconds().ToString(System.Globalization.CultureInfo.InvariantCulture));
    }

    [Fact]
    public async Task A_body_changed_on_the_way_fails_verification()
    {
        DispatchResult result = await Dispatcher(_old.Url, [OldSecret], tamper: true).DispatchAsync(Message(), Ct);

        result.Error.Should().StartWith("HTTP 401");
        _old.Verified.Should().BeEmpty();
        _old.Refusals.Should().ContainSingle().Which.Should().Contain("No matching signature found");
    }

    [Fact]
    public async Task A_stale_timestamp_fails_verification()
    {
        var tenMinutesAgo = new FakeTimeProvider(DateTimeOffset.UtcNow.AddMinutes(-10));

        DispatchResult result = await Dispatcher(_old.Url, [OldSecret], tenMinutesAgo).DispatchAsync(Message(), Ct);

        result.Error.Should().StartWith("HTTP 401");
        _old.Refusals.Should().ContainSingle().Which.Should().Contain("Message timestamp too old");
    }

    [Fact]
    public async Task During_rotation_both_the_old_and_the_new_secret_verify()
    {
        DispatchResult toOld = await Dispatcher(_old.Url, [OldSecret, NewSecret]).DispatchAsync(Message(), Ct);
        DispatchResult toNew = await Dispatcher(_new.Url, [OldSecret, NewSecret]).DispatchAsync(Message(), Ct);

        toOld.Should().Be(DispatchResult.Success, _old.Refusals.FirstOrDefault());
        toNew.Should().Be(DispatchResult.Success, _new.Refusals.FirstOrDefault());
        _new.Verified.Single()["webhook-signature"].Split(' ').Should().HaveCount(2).And.AllSatisfy(s => s.Should().StartWith("v1,"));
    }

    [Fact]
    public async Task A_receiver_that_only_knows_the_new_secret_refuses_a_request_signed_with_the_old_one()
    {
        DispatchResult result = await Dispatcher(_new.Url, [OldSecret]).DispatchAsync(Message(), Ct);

        result.Error.Should().StartWith("HTTP 401");
        _new.Verified.Should().BeEmpty();
    }

    [Fact]
    public async Task Without_secrets_no_signature_headers_are_sent()
    {
        await Dispatcher(_old.Url, []).DispatchAsync(Message(), Ct);

        _old.Refusals.Should().ContainSingle().Which.Should().Contain("Missing required headers");
    }

    /// <summary>Appends a space to the body after it was signed.</summary>
    private sealed class TamperingHandler : DelegatingHandler
    {
        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            string body = await request.Content!.ReadAsStringAsync(cancellationToken);
            var content = new StringContent(body + " ", Encoding.UTF8);
            content.Headers.ContentType = request.Content.Headers.ContentType;
            request.Content = content;
            return await base.SendAsync(request, cancellationToken);
        }
    }

    /// <summary>A loopback receiver that verifies each request with <see cref="StandardWebhook"/>.</summary>
    private sealed class VerifyingReceiver : IAsyncDisposable
    {
        private LoopbackServer _server = null!;

        public Uri Url => _server.Url("hooks");

        public List<Dictionary<string, string>> Verified { get; } = [];

        public List<string> Refusals { get; } = [];

        public static async Task<VerifyingReceiver> StartAsync(string secret)
        {
            var webhook = new StandardWebhook(secret);
            var receiver = new VerifyingReceiver();
            receiver._server = await LoopbackServer.StartAsync((context, body) =>
            {
                try
                {
                    VerifyAny(webhook, Encoding.UTF8.GetString(body), context.Request.Headers);
                    lock (receiver.Verified)
                    {
                        receiver.Verified.Add(context.Request.Headers.ToDictionary(h => h.Key, h => h.Value.ToString(), StringComparer.OrdinalIgnoreCase));
                    }

                    context.Response.StatusCode = StatusCodes.Status204NoContent;
                }
                catch (WebhookVerificationException ex)
                {
                    lock (receiver.Verified)
                    {
                        receiver.Refusals.Add(ex.Message + " (webhook-signature: " + context.Request.Headers["webhook-signature"] + ")");
                    }

                    context.Response.StatusCode = StatusCodes.Status401Unauthorized;
                }

                return Task.CompletedTask;
            });
            return receiver;
        }

        /// <summary>
        /// Verifies each space-separated signature on its own: StandardWebhooks 1.1.2 compares only the first entry of a
        /// multi-signature header (its loop ends before it reads the last one), so a receiver holding the second secret
        /// of a rotation would refuse a valid request. The specification asks receivers to accept any matching entry.
        /// </summary>
        private static void VerifyAny(StandardWebhook webhook, string body, IHeaderDictionary headers)
        {
            string[] signatures = headers["webhook-signature"].ToString().Split(' ', StringSplitOptions.RemoveEmptyEntries);
            WebhookVerificationException? last = null;
            foreach (string signature in signatures.DefaultIfEmpty(string.Empty))
            {
                var single = new HeaderDictionary(headers.ToDictionary(h => h.Key, h => h.Value, StringComparer.OrdinalIgnoreCase))
                {
                    ["webhook-signature"] = signature,
                };
                try
                {
                    webhook.Verify(body, single);
                    return;
                }
                catch (WebhookVerificationException ex)
                {
                    last = ex;
                }
            }

            throw last!;
        }

        public ValueTask DisposeAsync() => _server.DisposeAsync();
    }
}
