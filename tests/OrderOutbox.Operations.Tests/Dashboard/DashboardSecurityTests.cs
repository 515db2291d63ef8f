using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using FluentAssertions;
using Microsoft.Extensions.Logging;
using OrderOutbox.Operations.Tests.Support;

namespace OrderOutbox.Operations.Tests.Dashboard;

/// <summary>
/// The dashboard's guards on a real host over real SQLite: authorization on every endpoint, antiforgery on every
/// state-changing POST, payloads only for the payload policy, anonymous access only when chosen (with a warning), and
/// bad input refused with a message naming the field, the value and the range.
/// </summary>
public sealed class DashboardSecurityTests : IClassFixture<SqliteTestDatabase>
{
    private readonly SqliteTestDatabase _database;

    public DashboardSecurityTests(SqliteTestDatabase database) => _database = database;

    [Theory]
    [InlineData("outbox/")]
    [InlineData("outbox/assets/app.js")]
    [InlineData("outbox/api/session")]
    [InlineData("outbox/api/statistics")]
    [InlineData("outbox/api/dead-letters")]
    public async Task An_anonymous_request_is_refused(string path)
    {
        await using DashboardHost host = await DashboardHost.StartAsync(_database);
        using HttpClient anonymous = host.CreateClient(user: null);

        HttpResponseMessage response = await anonymous.GetAsync(path);

        response.StatusCode.Should().Be(HttpStatusCode.Unauthorized);
    }

    [Fact]
    public async Task A_user_outside_the_policy_is_forbidden_and_cannot_requeue()
    {
        await using DashboardHost host = await DashboardHost.StartAsync(_database);
        Guid id = await host.EnqueueAsync(_database, "poison");
        await host.WaitForAsync(s => s.DeadLetter == 1);
        using HttpClient intruder = host.CreateClient(user: "mallory", roles: "payload");

        (await intruder.GetAsync("outbox/api/statistics")).StatusCode.Should().Be(HttpStatusCode.Forbidden);
        (await intruder.PostAsync($"outbox/api/dead-letters/{id}/requeue", null)).StatusCode.Should().Be(HttpStatusCode.Forbidden);
        (await host.Admin.GetAsync(id))!.Status.Should().Be(OutboxStatus.DeadLetter);
    }

    [Fact]
    public async Task A_post_without_the_antiforgery_token_is_refused_and_changes_nothing()
    {
        await using DashboardHost host = await DashboardHost.StartAsync(_database);
        Guid id = await host.EnqueueAsync(_database, "poison");
        await host.WaitForAsync(s => s.DeadLetter == 1);
        host.Receiver.RejectPoison = false;
        using HttpClient alice = host.CreateClient();
        (await alice.GetAsync("outbox/api/session")).EnsureSuccessStatusCode(); // the antiforgery cookie alone is not enough

        HttpResponseMessage withoutToken = await alice.PostAsync($"outbox/api/dead-letters/{id}/requeue", null);
        HttpResponseMessage wrongToken = await PostWithTokenAsync(alice, $"outbox/api/dead-letters/{id}/requeue", "not-a-token");
        HttpResponseMessage purge = await alice.PostAsJsonAsync("outbox/api/purge", new { sentBefore = "2020-01-01T00:00:00Z" });

        withoutToken.StatusCode.Should().Be(HttpStatusCode.BadRequest);
        (await withoutToken.Content.ReadAsStringAsync()).Should().Contain("antiforgery token is missing or not valid");
        wrongToken.StatusCode.Should().Be(HttpStatusCode.BadRequest);
        purge.StatusCode.Should().Be(HttpStatusCode.BadRequest);
        (await host.Admin.GetAsync(id))!.Status.Should().Be(OutboxStatus.DeadLetter);

        // The same request with the page's token goes through.
        string token = await TokenAsync(alice);
        HttpResponseMessage withToken = await PostWithTokenAsync(alice, $"outbox/api/dead-letters/{id}/requeue", token);
        withToken.StatusCode.Should().Be(HttpStatusCode.OK);
        await host.WaitForSentAsync(id);
    }

    [Fact]
    public async Task The_payload_is_shown_only_to_users_of_the_payload_policy()
    {
        await using DashboardHost host = await DashboardHost.StartAsync(_database);
        Guid id = await host.EnqueueAsync(_database, "poison secret-card-number");
        await host.WaitForAsync(s => s.DeadLetter == 1);
        using HttpClient reader = host.CreateClient("carol", "ops,payload");
        using HttpClient operatorOnly = host.CreateClient("bob", "ops");

        JsonElement full = await reader.GetFromJsonAsync<JsonElement>($"outbox/api/messages/{id}");
        string limitedText = await operatorOnly.GetStringAsync($"outbox/api/messages/{id}");
        JsonElement limited = JsonDocument.Parse(limitedText).RootElement;

        full.GetProperty("payloadVisible").GetBoolean().Should().BeTrue();
        full.GetProperty("payload").GetString().Should().Contain("secret-card-number");
        limited.GetProperty("payloadVisible").GetBoolean().Should().BeFalse();
        limited.GetProperty("payload").ValueKind.Should().Be(JsonValueKind.Null);
        limited.GetProperty("headers").ValueKind.Should().Be(JsonValueKind.Null);
        limitedText.Should().NotContain("secret-card-number");
        limited.GetProperty("lastError").GetString().Should().Contain("400");
    }

    [Fact]
    public async Task Without_a_policy_or_anonymous_opt_in_every_request_is_refused_and_an_error_is_logged()
    {
        await using DashboardHost host = await DashboardHost.StartAsync(_database, o =>
        {
            o.AuthorizationPolicy = null;
            o.PayloadAuthorizationPolicy = null;
        });
        using HttpClient alice = host.CreateClient();

        HttpResponseMessage page = await alice.GetAsync("outbox/");
        HttpResponseMessage statistics = await alice.GetAsync("outbox/api/statistics");

        page.StatusCode.Should().Be(HttpStatusCode.Forbidden);
        statistics.StatusCode.Should().Be(HttpStatusCode.Forbidden);
        (await statistics.Content.ReadAsStringAsync()).Should().Contain("OrderOutboxDashboardOptions.AuthorizationPolicy");
        host.Logs.GetSnapshot().Should().Contain(r => r.Level == LogLevel.Error && r.Id.Id == 5002);
    }

    [Fact]
    public async Task Anonymous_access_when_chosen_works_and_is_logged_as_a_warning_at_start()
    {
        await using DashboardHost host = await DashboardHost.StartAsync(_database, o =>
        {
            o.AuthorizationPolicy = null;
            o.AllowAnonymous = true;
        });
        using HttpClient anonymous = host.CreateClient(user: null);

        HttpResponseMessage page = await anonymous.GetAsync("outbox/");

        page.StatusCode.Should().Be(HttpStatusCode.OK);
        page.Headers.GetValues("Content-Security-Policy").Single().Should().Contain("script-src 'self'");
        (await page.Content.ReadAsStringAsync()).Should().Contain("<title>OrderOutbox</title>");
        host.Logs.GetSnapshot().Should().Contain(r => r.Level == LogLevel.Warning && r.Id.Id == 5001 && r.Message.Contains("AllowAnonymous"));
    }

    [Fact]
    public async Task A_policy_that_is_not_registered_stops_the_host_with_its_name()
    {
        Func<Task> start = async () => await (await DashboardHost.StartAsync(_database, registerPolicies: false)).DisposeAsync();

        (await start.Should().ThrowAsync<InvalidOperationException>())
            .WithMessage("*OrderOutboxDashboardOptions.AuthorizationPolicy = 'ops'*no authorization policy*AddPolicy(\"ops\"*");
    }

    [Fact]
    public async Task The_dashboard_path_without_a_slash_redirects_to_the_page()
    {
        await using DashboardHost host = await DashboardHost.StartAsync(_database);
        using HttpClient alice = host.CreateClient();

        HttpResponseMessage response = await alice.GetAsync("outbox");

        response.StatusCode.Should().Be(HttpStatusCode.Redirect);
        response.Headers.Location!.ToString().Should().Be("/outbox/");
    }

    [Theory]
    [InlineData("outbox/api/dead-letters?limit=0", "limit = '0': must be a whole number from 1 to 1000.")]
    [InlineData("outbox/api/dead-letters?limit=1001", "limit = '1001': must be a whole number from 1 to 1000.")]
    [InlineData("outbox/api/dead-letters?after=nope", "after = 'nope': must be the ID (a UUID)")]
    [InlineData("outbox/api/messages/42", "id = '42': must be a message ID (a UUID).")]
    [InlineData("outbox/api/dead-letters/count?createdFrom=monday", "createdFrom = 'monday': must be a date and time")]
    [InlineData("outbox/api/dead-letters/count?createdFrom=2026-02-01T00:00:00Z&createdBefore=2026-01-01T00:00:00Z", "DeadLetterFilter.CreatedFrom (2026-02-01T00:00:00.0000000+00:00) must be earlier than DeadLetterFilter.CreatedBefore")]
    [InlineData("outbox/api/dead-letters?type=%20", "DeadLetterFilter.MessageType is ' ' (1 characters); allowed: null (no condition) or 1 to 200 characters, not blank.")]
    public async Task Bad_input_on_reads_is_refused_with_the_field_the_value_and_the_range(string path, string message)
    {
        await using DashboardHost host = await DashboardHost.StartAsync(_database);
        using HttpClient alice = host.CreateClient();

        HttpResponseMessage response = await alice.GetAsync(path);

        response.StatusCode.Should().Be(HttpStatusCode.BadRequest);
        (await response.Content.ReadAsStringAsync()).Should().Contain(message);
    }

    [Fact]
    public async Task Purge_refuses_a_date_in_the_future_and_deletes_only_records_sent_before_the_date()
    {
        await using DashboardHost host = await DashboardHost.StartAsync(_database);
        Guid older = await host.EnqueueAsync(_database, "older");
        Guid newer = await host.EnqueueAsync(_database, "newer");
        await host.WaitForSentAsync(older);
        await host.WaitForSentAsync(newer);
        await _database.ExecuteAsync(host.Table, $"UPDATE {{table}} SET sent_at = {SqliteTicks(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero))} WHERE id = '{older}'");
        await _database.ExecuteAsync(host.Table, $"UPDATE {{table}} SET sent_at = {SqliteTicks(new DateTimeOffset(2026, 1, 1, 0, 0, 2, TimeSpan.Zero))} WHERE id = '{newer}'");
        using HttpClient alice = host.CreateClient();
        string token = await TokenAsync(alice);

        HttpResponseMessage future = await PostWithTokenAsync(alice, "outbox/api/purge", token, new { sentBefore = "2999-01-01T00:00:00Z" });
        HttpResponseMessage garbage = await PostWithTokenAsync(alice, "outbox/api/purge", token, new { sentBefore = "yesterday" });
        HttpResponseMessage purge = await PostWithTokenAsync(alice, "outbox/api/purge", token, new { sentBefore = "2026-01-01T00:00:01Z" });

        future.StatusCode.Should().Be(HttpStatusCode.BadRequest);
        (await future.Content.ReadAsStringAsync()).Should().Contain("sentBefore = '2999-01-01T00:00:00Z': must not be later than now");
        garbage.StatusCode.Should().Be(HttpStatusCode.BadRequest);
        (await garbage.Content.ReadAsStringAsync()).Should().Contain("sentBefore = 'yesterday': must be a date and time");
        purge.StatusCode.Should().Be(HttpStatusCode.OK);
        (await purge.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("count").GetInt64().Should().Be(1);
        (await host.Admin.GetAsync(older)).Should().BeNull();
        (await host.Admin.GetAsync(newer)).Should().NotBeNull("it was sent after the date");
    }

    [Fact]
    public async Task Requeue_selected_requeues_exactly_the_selected_dead_letters_and_refuses_bad_ids()
    {
        await using DashboardHost host = await DashboardHost.StartAsync(_database);
        Guid a = await host.EnqueueAsync(_database, "poison a");
        Guid b = await host.EnqueueAsync(_database, "poison b");
        Guid c = await host.EnqueueAsync(_database, "poison c");
        await host.WaitForAsync(s => s.DeadLetter == 3);
        using HttpClient alice = host.CreateClient();
        string token = await TokenAsync(alice);

        HttpResponseMessage bad = await PostWithTokenAsync(alice, "outbox/api/dead-letters/requeue-selected", token, new { ids = new[] { a.ToString(), "x" } });
        HttpResponseMessage none = await PostWithTokenAsync(alice, "outbox/api/dead-letters/requeue-selected", token, new { ids = Array.Empty<string>() });
        (await host.Admin.GetStatisticsAsync()).DeadLetter.Should().Be(3, "a refused request changes nothing");
        HttpResponseMessage ok = await PostWithTokenAsync(alice, "outbox/api/dead-letters/requeue-selected", token, new { ids = new[] { a.ToString(), c.ToString(), Guid.NewGuid().ToString() } });

        bad.StatusCode.Should().Be(HttpStatusCode.BadRequest);
        (await bad.Content.ReadAsStringAsync()).Should().Contain("ids contains 'x'");
        none.StatusCode.Should().Be(HttpStatusCode.BadRequest);
        (await none.Content.ReadAsStringAsync()).Should().Contain("select from 1 to 1000");
        (await ok.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("count").GetInt64().Should().Be(2);
        (await host.Admin.GetAsync(b))!.Status.Should().Be(OutboxStatus.DeadLetter);
    }

    private static long SqliteTicks(DateTimeOffset value) => value.UtcTicks;

    private static async Task<string> TokenAsync(HttpClient client)
    {
        JsonElement session = await client.GetFromJsonAsync<JsonElement>("outbox/api/session");
        return session.GetProperty("antiforgeryToken").GetString()!;
    }

    private static async Task<HttpResponseMessage> PostWithTokenAsync(HttpClient client, string path, string token, object? body = null)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = JsonContent.Create(body ?? new { }) };
        request.Headers.Add("RequestVerificationToken", token);
        return await client.SendAsync(request);
    }
}
