using System.Globalization;
using Gatehouse.Console.Tests.Infrastructure;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace Gatehouse.Console.Tests;

/// <summary>The traffic page shows what real requests through real gateways did, as the gateways' heartbeats report it.</summary>
[Collection(ConsoleCollection.Name)]
public sealed class TrafficTests(ConsoleCluster cluster)
{
    [Fact]
    public async Task Traffic_AfterRequestsThroughBothGateways_ShowsNonZeroQpsForTheService()
    {
        var before = cluster.Backend("stock-1").Count;
        await cluster.SendThroughGatewaysAsync("stock", "/stock/items", perGateway: 40);
        Assert.Equal(before + 80, cluster.Backend("stock-1").Count);

        var page = await cluster.LoginAsync(ConsoleCluster.ViewerUser, ConsoleCluster.UserPassword, "/traffic");
        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Traffic", Exact = true })).ToBeVisibleAsync();

        // No reload: the page refreshes by itself until the gateways' heartbeats have carried the requests to the admin.
        var qps = page.GetByTestId("service-row-stock").GetByTestId("service-qps");
        await cluster.WaitAsync(async () => await qps.CountAsync() == 1 && Parse(await qps.InnerTextAsync()) > 0, "the page shows stock's QPS");
        Assert.True(await cluster.StatsRequestsAsync("stock") >= 80);

        // The charts follow the chosen service; a gateway that carried half of the requests has its own row.
        await page.GetByTestId("scope-service").SelectOptionAsync("stock");
        await Expect(page.GetByTestId("chart-qps").Locator("path.line")).ToHaveCountAsync(1);
        await Expect(page.GetByTestId("node-row-gw-1")).ToBeVisibleAsync();
        await Expect(page.GetByTestId("node-row-gw-2")).ToBeVisibleAsync();
        await Expect(page.GetByTestId("top-traffic")).ToContainTextAsync("stock / all");
        Assert.True(Parse(await page.GetByTestId("total-qps").InnerTextAsync()) > 0);
        await ConsoleCluster.ScreenshotAsync(page, "traffic");
        await page.Context.CloseAsync();
    }

    private static double Parse(string text) => double.Parse(text.Trim(), NumberStyles.Float, CultureInfo.InvariantCulture);
}
