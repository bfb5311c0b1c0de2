using System.Diagnostics;
using System.Globalization;
using Microsoft.Playwright;

namespace Gatehouse.Bench.ConsoleLoad;

/// <summary>
/// Debian's Chromium driven by Playwright (as the console's browser tests drive it), logged in to the console of the
/// admin under test. Contexts are separate console sessions (own cookies, own circuit).
/// </summary>
internal sealed class ConsoleBrowser : IAsyncDisposable
{
    private readonly IPlaywright _playwright;
    private readonly string _url;

    private ConsoleBrowser(IPlaywright playwright, IBrowser browser, string url)
    {
        _playwright = playwright;
        Browser = browser;
        _url = url;
    }

    public IBrowser Browser { get; }

    public static async Task<ConsoleBrowser> LaunchAsync(string adminUrl, int adminPid)
    {
        var playwright = await Playwright.CreateAsync();
        // Before Chromium starts, so that it inherits nice 0 from the driver.
        Priority.ResetDescendants(adminPid);
        var browser = await playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = "/usr/bin/chromium",
            Headless = true,
            Args =
            [
                "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
                "--disable-component-update", "--disable-sync",
            ],
        });
        Priority.ResetDescendants(adminPid);
        return new ConsoleBrowser(playwright, browser, adminUrl);
    }

    /// <summary>A new context at 1280×800, logged in through the login page; the console shell is showing.</summary>
    public async Task<IPage> LoginAsync(string user, string password, string path = "/")
    {
        var context = await NewContextAsync(null);
        var page = await context.NewPageAsync();
        await page.GotoAsync("/login?returnUrl=" + Uri.EscapeDataString(path));
        await page.GetByLabel("User").FillAsync(user);
        await page.GetByLabel("Password").FillAsync(password);
        await page.GetByRole(AriaRole.Button, new() { Name = "Log in" }).ClickAsync();
        await page.GetByTestId("current-user").WaitForAsync();
        return page;
    }

    /// <summary>A new context carrying an earlier login's cookies (the same console session), with a page open.</summary>
    public async Task<IPage> ResumeAsync(string storageState)
    {
        var context = await NewContextAsync(storageState);
        return await context.NewPageAsync();
    }

    /// <summary>
    /// Leaves the console (the page unloads, so Blazor tells the server to drop the circuit at once rather than keep it
    /// for reconnection) and closes the context.
    /// </summary>
    public static async Task CloseAsync(IPage page)
    {
        try
        {
            await page.GotoAsync("about:blank");
        }
        catch (PlaywrightException)
        {
            // Closing anyway.
        }

        await page.Context.CloseAsync();
    }

    /// <summary>
    /// Runs <paramref name="action"/> (JavaScript) in the page and returns the milliseconds, by the page's own clock, until
    /// <paramref name="ready"/> (a JavaScript expression) is true after a DOM change. Measured inside the browser so the
    /// figure holds no Playwright round trip: it is the time from the user's action until the DOM holds the result,
    /// i.e. the WebSocket message to the circuit, the server's work (API calls, render, diff) and applying the diff.
    /// </summary>
    public static async Task<double> TimeAsync(IPage page, string action, string ready, int timeoutMs = 10_000)
    {
        var script = $$"""
            () => new Promise((resolve, reject) => {
              const ready = () => { try { return !!({{ready}}); } catch { return false; } };
              if (ready()) { reject(new Error('the result was showing before the action')); return; }
              let timer;
              const t0 = performance.now();
              const observer = new MutationObserver(() => {
                if (ready()) { const ms = performance.now() - t0; observer.disconnect(); clearTimeout(timer); resolve(ms); }
              });
              observer.observe(document, { childList: true, subtree: true, characterData: true, attributes: true });
              timer = setTimeout(() => { observer.disconnect(); reject(new Error('not ready after {{timeoutMs}} ms')); }, {{timeoutMs}});
              {{action}};
            })
            """;
        return await page.EvaluateAsync<double>(script);
    }

    /// <summary>Waits (untimed) until <paramref name="ready"/> holds: a reset between measured actions.</summary>
    public static async Task WaitAsync(IPage page, string ready) =>
        await page.WaitForFunctionAsync($"() => {{ try {{ return !!({ready}); }} catch {{ return false; }} }}", null,
            new PageWaitForFunctionOptions { Timeout = 15_000, PollingInterval = 10 });

    /// <summary>A full page load in the page's context (new circuit): milliseconds from the request to the content, by the harness's clock.</summary>
    public static async Task<double> LoadAsync(IPage page, string path, string ready)
    {
        var started = Stopwatch.GetTimestamp();
        await page.GotoAsync(path, new PageGotoOptions { WaitUntil = WaitUntilState.Commit });
        await WaitAsync(page, ready);
        return Stopwatch.GetElapsedTime(started).TotalMilliseconds;
    }

    /// <summary>A JavaScript string literal of <paramref name="value"/>.</summary>
    public static string Js(string value) =>
        "'" + value.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("'", "\\'", StringComparison.Ordinal) + "'";

    public static string Int(int value) => value.ToString(CultureInfo.InvariantCulture);

    public async ValueTask DisposeAsync()
    {
        await Browser.CloseAsync();
        _playwright.Dispose();
    }

    private async Task<IBrowserContext> NewContextAsync(string? storageState)
    {
        var context = await Browser.NewContextAsync(new BrowserNewContextOptions
        {
            BaseURL = _url,
            ViewportSize = new ViewportSize { Width = 1280, Height = 800 },
            StorageState = storageState,
        });
        context.SetDefaultTimeout(15_000);
        return context;
    }
}
