using Microsoft.Playwright;

[assembly: AssemblyFixture(typeof(OrderOutbox.Operations.Tests.Support.BrowserFixture))]

namespace OrderOutbox.Operations.Tests.Support;

/// <summary>
/// One headless Chromium for the whole assembly: Debian's <c>chromium</c> (<see cref="ExecutablePath"/>), driven by
/// Playwright (which never downloads a browser here). Without it the browser tests FAIL when <c>CI=true</c> and are
/// skipped otherwise.
/// </summary>
public sealed class BrowserFixture : IAsyncLifetime
{
    /// <summary>Where Debian's package installs Chromium; override with <c>ORDEROUTBOX_TEST_CHROMIUM</c>.</summary>
    public static readonly string ExecutablePath = Environment.GetEnvironmentVariable("ORDEROUTBOX_TEST_CHROMIUM") is { Length: > 0 } path ? path : "/usr/bin/chromium";

    private IPlaywright? _playwright;
    private IBrowser? _browser;
    private string? _unavailable;

    /// <summary>The browser; skips (or, with <c>CI=true</c>, fails) the test when Chromium is not installed.</summary>
    public IBrowser Browser
    {
        get
        {
            if (_unavailable is not null)
            {
                if (Ci.IsOn)
                {
                    throw new InvalidOperationException(_unavailable + " CI=true: the browser tests must run (.ci/run installs chromium).");
                }

                Assert.Skip(_unavailable);
            }

            return _browser!;
        }
    }

    public async ValueTask InitializeAsync()
    {
        if (!File.Exists(ExecutablePath))
        {
            _unavailable = $"Chromium is not installed at {ExecutablePath} (apt-get install -y chromium).";
            return;
        }

        _playwright = await Playwright.CreateAsync();
        _browser = await _playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = ExecutablePath,
            Headless = true,
            Args = ["--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu"],
        });
    }

    public async ValueTask DisposeAsync()
    {
        if (_browser is not null)
        {
            await _browser.DisposeAsync();
        }

        _playwright?.Dispose();
    }
}
