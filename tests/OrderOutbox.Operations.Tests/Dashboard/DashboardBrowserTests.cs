using FluentAssertions;
using Microsoft.Playwright;
using OrderOutbox.Operations.Tests.Support;
using static Microsoft.Playwright.Assertions;

namespace OrderOutbox.Operations.Tests.Dashboard;

/// <summary>
/// The dashboard in a real browser (Chromium through Playwright) against a real database and a running dispatcher that
/// delivers to a loopback receiver: the page shows the counts, lists the dead letters with their last error (as text,
/// never as markup), shows a record's payload to a user allowed to see it, and a dead letter requeued from the page is
/// delivered.
/// </summary>
public abstract class DashboardBrowserTests<TDatabase> : IClassFixture<TDatabase>
    where TDatabase : class, ITestDatabase
{
    private readonly TDatabase _database;
    private readonly BrowserFixture _browser;

    protected DashboardBrowserTests(TDatabase database, BrowserFixture browser)
    {
        _database = database;
        _browser = browser;
    }

    [Fact]
    public async Task The_page_shows_counts_and_a_dead_letter_requeued_from_it_is_delivered()
    {
        IBrowser browser = _browser.Browser;
        await using DashboardHost host = await DashboardHost.StartAsync(_database);
        const string hostileAggregate = "<script>window.__xss=2</script>order-1";
        Guid first = await host.EnqueueAsync(_database, "poison one", aggregateId: hostileAggregate);
        Guid second = await host.EnqueueAsync(_database, "poison two");
        Guid good = await host.EnqueueAsync(_database, "fine");
        await host.WaitUntilSettledAsync(deadLetters: 2);
        (await host.Admin.GetAsync(good))!.Status.Should().Be(OutboxStatus.Sent);

        await using IBrowserContext context = await browser.NewContextAsync(new BrowserNewContextOptions
        {
            ExtraHTTPHeaders = new Dictionary<string, string> { [HeaderAuthentication.UserHeader] = "alice", [HeaderAuthentication.RolesHeader] = "ops,payload" },
            ViewportSize = new ViewportSize { Width = 1440, Height = 900 },
        });
        IPage page = await context.NewPageAsync();
        IResponse? response = await page.GotoAsync(host.DashboardUrl.ToString());
        response!.Status.Should().Be(200);

        await Expect(page.Locator("#count-dead-letter")).ToHaveTextAsync("2");
        await Expect(page.Locator("#count-due")).ToHaveTextAsync("0");
        await Expect(page.Locator("#count-pending")).ToHaveTextAsync("0");
        ILocator rows = page.Locator("#dead-letters tbody tr");
        await Expect(rows).ToHaveCountAsync(2);
        ILocator firstRow = page.Locator($"#dead-letters tbody tr[data-id='{first}']");
        await Expect(firstRow.Locator("td.error")).ToContainTextAsync("400");
        await Expect(firstRow.Locator("td.error")).ToContainTextAsync("<img src=x onerror=");

        // The receiver's answer and the aggregate ID are markup: both are shown as text, no element was created, no script ran.
        await Expect(firstRow.Locator("td").Nth(3)).ToHaveTextAsync(hostileAggregate);
        (await page.Locator("#dead-letters img, #dead-letters script, #dead-letters b").CountAsync()).Should().Be(0);
        (await page.EvaluateAsync<bool>("() => window.__xss === undefined")).Should().BeTrue();

        // Detail with payload for a user holding the payload policy; markup in the record stays text there too.
        await firstRow.Locator("button.link").ClickAsync();
        await Expect(page.Locator("#detail-payload")).ToHaveTextAsync("{\"text\":\"poison one\"}");
        await Expect(page.Locator("#detail-fields")).ToContainTextAsync(hostileAggregate);
        (await page.EvaluateAsync<bool>("() => window.__xss === undefined")).Should().BeTrue();
        await SaveScreenshotAsync(page);

        // Requeue from the page; the running dispatcher delivers it once the receiver accepts it.
        host.Receiver.RejectPoison = false;
        await firstRow.Locator("button.requeue").ClickAsync();
        await Expect(page.Locator("#status")).ToContainTextAsync($"Requeued {first}");
        await host.WaitForSentAsync(first);
        (await host.Admin.GetAsync(second))!.Status.Should().Be(OutboxStatus.DeadLetter, "only the requeued record was touched");
        host.Receiver.Delivered.Should().Contain([first.ToString(), good.ToString()]);
        await Expect(page.Locator("#count-dead-letter")).ToHaveTextAsync("1"); // the counts refresh by themselves
        await Expect(rows).ToHaveCountAsync(1);
    }

    [Fact]
    public async Task Requeue_by_filter_shows_the_dry_run_count_first_and_requeues_only_the_matching_dead_letters()
    {
        IBrowser browser = _browser.Browser;
        await using DashboardHost host = await DashboardHost.StartAsync(_database);
        var completed = new List<Guid>();
        for (int i = 0; i < 3; i++)
        {
            completed.Add(await host.EnqueueAsync(_database, "poison " + i));
        }

        Guid cancelled = await host.EnqueueAsync(_database, "poison cancelled", type: "order.cancelled");
        await host.WaitUntilSettledAsync(deadLetters: 4);
        await using IBrowserContext context = await browser.NewContextAsync(new BrowserNewContextOptions
        {
            ExtraHTTPHeaders = new Dictionary<string, string> { [HeaderAuthentication.UserHeader] = "bob", [HeaderAuthentication.RolesHeader] = "ops" },
        });
        IPage page = await context.NewPageAsync();
        await page.GotoAsync(host.DashboardUrl.ToString());
        ILocator rows = page.Locator("#dead-letters tbody tr");
        await Expect(rows).ToHaveCountAsync(4);

        // bob lacks the payload policy: the detail shows the record but hides payload and headers.
        await rows.First.Locator("button.link").ClickAsync();
        await Expect(page.Locator("#detail-payload")).ToHaveTextAsync("Hidden: you are not allowed to see payloads and headers.");
        await Expect(page.Locator("#detail-fields")).ToContainTextAsync("DEAD_LETTER");

        await page.Locator("#filter-type").FillAsync("order.completed");
        await page.Locator("#filter-apply").ClickAsync();
        await Expect(rows).ToHaveCountAsync(3);
        await page.Locator("#requeue-filter-count").ClickAsync();
        await Expect(page.Locator("#requeue-filter-text")).ToHaveTextAsync("3 dead letters match (dry run).");
        (await host.Admin.GetStatisticsAsync()).DeadLetter.Should().Be(4, "the count is a dry run");

        host.Receiver.RejectPoison = false;
        await page.Locator("#requeue-filter").ClickAsync();
        await Expect(page.Locator("#status")).ToHaveTextAsync("Requeued 3 dead letters.");
        foreach (Guid id in completed)
        {
            await host.WaitForSentAsync(id);
        }

        (await host.Admin.GetAsync(cancelled))!.Status.Should().Be(OutboxStatus.DeadLetter, "its type is outside the filter");
        await Expect(rows).ToHaveCountAsync(0);
        await page.Locator("#filter-clear").ClickAsync();
        await Expect(rows).ToHaveCountAsync(1);
    }

    [Fact]
    public async Task A_browser_without_a_user_is_refused_and_a_post_without_the_token_changes_nothing()
    {
        IBrowser browser = _browser.Browser;
        await using DashboardHost host = await DashboardHost.StartAsync(_database);
        Guid id = await host.EnqueueAsync(_database, "poison");
        await host.WaitUntilSettledAsync(deadLetters: 1);

        await using IBrowserContext anonymous = await browser.NewContextAsync();
        IPage anonymousPage = await anonymous.NewPageAsync();
        var statuses = new List<int>();
        anonymousPage.Response += (_, response) => statuses.Add(response.Status);
        Func<Task> open = () => anonymousPage.GotoAsync(host.DashboardUrl.ToString());
        await open.Should().ThrowAsync<PlaywrightException>("Chromium reports an empty 401 as a failed navigation");
        statuses.Should().Equal(401);
        (await anonymousPage.Locator("#count-dead-letter").CountAsync()).Should().Be(0, "no part of the page was served");

        // Signed in, on the dashboard's own origin, but a script that posts without the page's antiforgery token.
        await using IBrowserContext alice = await browser.NewContextAsync(new BrowserNewContextOptions
        {
            ExtraHTTPHeaders = new Dictionary<string, string> { [HeaderAuthentication.UserHeader] = "alice", [HeaderAuthentication.RolesHeader] = "ops" },
        });
        IPage page = await alice.NewPageAsync();
        await page.GotoAsync(host.DashboardUrl.ToString());
        await Expect(page.Locator("#count-dead-letter")).ToHaveTextAsync("1");
        int status = await page.EvaluateAsync<int>(
            "async id => (await fetch('api/dead-letters/' + id + '/requeue', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: '{}' })).status",
            id.ToString());

        status.Should().Be(400);
        (await host.Admin.GetAsync(id))!.Status.Should().Be(OutboxStatus.DeadLetter);
    }

    private static async Task SaveScreenshotAsync(IPage page)
    {
        // Set ORDEROUTBOX_DASHBOARD_SCREENSHOT to a file path to keep a picture of the page (docs/dashboard.png is one).
        if (Environment.GetEnvironmentVariable("ORDEROUTBOX_DASHBOARD_SCREENSHOT") is { Length: > 0 } path)
        {
            await page.ScreenshotAsync(new PageScreenshotOptions { Path = path, FullPage = true });
        }
    }
}

public sealed class SqliteDashboardBrowserTests(SqliteTestDatabase database, BrowserFixture browser)
    : DashboardBrowserTests<SqliteTestDatabase>(database, browser);

public sealed class PostgreSqlDashboardBrowserTests(PostgreSqlTestDatabase database, BrowserFixture browser)
    : DashboardBrowserTests<PostgreSqlTestDatabase>(database, browser);
