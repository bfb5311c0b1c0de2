using Gatehouse.Console.Tests.Infrastructure;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace Gatehouse.Console.Tests;

/// <summary>
/// Every page of the console, as an admin at 1280×800: it renders its heading, fits without horizontal scrolling,
/// labels every input, uses real buttons for actions, shows no error text of the framework, and is kept as a screenshot.
/// </summary>
[Collection(ConsoleCollection.Name)]
public sealed class PageQualityTests(ConsoleCluster cluster)
{
    public static TheoryData<string, string, string> Pages() => new()
    {
        { "/", "Overview", "page-overview" },
        { "/services?group=default", "Services", "page-services" },
        { "/services/orders?group=default", "Service orders", "page-service" },
        { "/routing", "Routing", "page-routing" },
        { "/policies", "Policies", "page-policies" },
        { "/apps", "Apps", "page-apps" },
        { "/gray", "Gray config", "page-gray" },
        { "/history", "History", "page-history" },
        { "/traffic", "Traffic", "page-traffic" },
        { "/alerts", "Alerts", "page-alerts" },
        { "/plugins", "Plugins", "page-plugins" },
        { "/users", "Users", "page-users" },
        { "/account", "Account", "page-account" },
    };

    [Theory]
    [InlineData("/")]
    [InlineData("/login")]
    [InlineData("/console/console.css")]
    [InlineData("/_framework/blazor.web.js")]
    public async Task ConsoleResponses_ForbidFramingAndSniffing(string path)
    {
        using var response = await cluster.Client.GetAsync(cluster.AdminUrl + path);
        Assert.True(response.IsSuccessStatusCode, $"{path}: {(int)response.StatusCode}");
        Assert.Equal("DENY", response.Headers.GetValues("X-Frame-Options").Single());
        Assert.Equal("nosniff", response.Headers.GetValues("X-Content-Type-Options").Single());
        Assert.Contains("frame-ancestors 'none'", response.Headers.GetValues("Content-Security-Policy").Single(), StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(Pages))]
    public async Task Page_FitsAt1280_LabelsEveryInput_AndRendersWithoutErrors(string path, string heading, string screenshot)
    {
        var page = await cluster.LoginAsync("admin", ConsoleCluster.AdminPassword, path);
        await Expect(page.Locator("h1").First).ToContainTextAsync(heading);

        // Data arrives after the first render; wait until no "Loading…" placeholder is left.
        await Expect(page.Locator(".loading")).ToHaveCountAsync(0);
        await ConsoleCluster.ScreenshotAsync(page, screenshot);

        var overflow = await page.EvaluateAsync<int>("() => document.documentElement.scrollWidth - document.documentElement.clientWidth");
        Assert.True(overflow <= 0, $"{path} scrolls horizontally by {overflow} px at 1280×800");

        // Nor does any card: a table wider than its card would make the reader scroll sideways inside it.
        var wideCards = await page.EvaluateAsync<string[]>("""
            () => [...document.querySelectorAll('.card')].filter(c => c.scrollWidth > c.clientWidth + 1)
                .map(c => (c.querySelector('h2')?.textContent ?? '?') + ' by ' + (c.scrollWidth - c.clientWidth) + ' px')
            """);
        Assert.True(wideCards.Length == 0, $"{path} has cards that scroll sideways: {string.Join("; ", wideCards)}");

        // An input is labelled by a <label for>, a wrapping <label>, aria-label or aria-labelledby.
        var unlabelled = await page.EvaluateAsync<string[]>("""
            () => [...document.querySelectorAll('input:not([type=hidden]), select, textarea')]
                .filter(e => !(e.labels && e.labels.length) && !e.getAttribute('aria-label') && !e.getAttribute('aria-labelledby'))
                .map(e => e.outerHTML.slice(0, 120))
            """);
        Assert.True(unlabelled.Length == 0, $"{path} has unlabelled inputs: {string.Join(" | ", unlabelled)}");

        // Actions are buttons or links, never clickable spans or divs.
        var fakeButtons = await page.EvaluateAsync<int>("() => document.querySelectorAll('div[onclick], span[onclick], td[onclick]').length");
        Assert.Equal(0, fakeButtons);

        var text = await page.Locator("body").InnerTextAsync();
        Assert.DoesNotContain("An unhandled error has occurred", text, StringComparison.Ordinal);
        Assert.DoesNotContain("Exception", text, StringComparison.Ordinal);
        await page.Context.CloseAsync();
    }
}
