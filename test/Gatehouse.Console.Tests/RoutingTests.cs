using System.Net.Http.Json;
using System.Text.Json;
using Gatehouse.Console.Tests.Infrastructure;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace Gatehouse.Console.Tests;

/// <summary>The routing page: an origin mapping added in the console routes real traffic through the gateways, and deleting it stops that.</summary>
[Collection(ConsoleCollection.Name)]
public sealed class RoutingTests(ConsoleCluster cluster)
{
    [Fact]
    public async Task PathPrefixMapping_AddedInConsole_RoutesThroughGateway_AndDeletedStopsRouting()
    {
        var prefix = $"/h3-stock-{Guid.NewGuid():N}"[..16];
        var path = prefix + "/stock/item-1";
        var stock = cluster.Backend("stock-1");
        var gateway = cluster.Gateways[0].Port;
        var (before, beforeBody) = await cluster.GatewayGetAsync(gateway, path);
        Assert.False(before == 200 && beforeBody == "stock-1", $"{path} reached stock before the mapping existed");

        var page = await cluster.LoginAsync(ConsoleCluster.OperatorUser, ConsoleCluster.UserPassword, "/routing");
        await page.GetByLabel("Match by").SelectOptionAsync("path");

        // A service that does not exist: the API's field error appears beside the service field, nothing is published.
        var version = await cluster.AdminVersionAsync();
        await page.GetByLabel("Path prefix (e.g. /orders-svc)").FillAsync(prefix);
        await page.GetByLabel("Service", new() { Exact = true }).FillAsync("no-such-service");
        await page.GetByRole(AriaRole.Button, new() { Name = "Add mapping" }).ClickAsync();
        var serviceField = page.GetByTestId("mapping-form").Locator("div").Filter(new() { Has = page.GetByLabel("Service", new() { Exact = true }) });
        await Expect(serviceField.Locator(".field-error")).ToContainTextAsync("no-such-service");
        Assert.Equal(version, await cluster.AdminVersionAsync());

        await page.GetByLabel("Service", new() { Exact = true }).FillAsync("stock");
        await page.GetByLabel("Strip the prefix before matching APIs").CheckAsync();
        await page.GetByRole(AriaRole.Button, new() { Name = "Add mapping" }).ClickAsync();
        var row = page.GetByTestId("mapping-row").Filter(new() { HasText = prefix });
        await Expect(row).ToContainTextAsync("stock");
        await Expect(row).ToContainTextAsync("yes");

        var mappings = await cluster.Admin.GetFromJsonAsync<JsonElement>($"/api/v1/groups/{ConsoleCluster.Group}/origin-mappings");
        Assert.Contains(mappings.EnumerateArray(), m => m.GetProperty("mapping").GetProperty("pathPrefix").GetString() == prefix);
        await cluster.WaitGatewaysAppliedAsync();
        var counted = stock.Count;
        foreach (var gw in cluster.Gateways)
        {
            Assert.Equal((200, "stock-1"), await cluster.GatewayGetAsync(gw.Port, path));
        }

        Assert.Equal(counted + cluster.Gateways.Count, stock.Count);
        await ConsoleCluster.ScreenshotAsync(page, "routing");

        await row.GetByRole(AriaRole.Button, new() { Name = "Delete" }).ClickAsync();
        await Expect(page.GetByRole(AriaRole.Dialog)).ToContainTextAsync(prefix);
        await page.GetByRole(AriaRole.Dialog).GetByRole(AriaRole.Button, new() { Name = "Delete mapping" }).ClickAsync();
        await Expect(row).ToHaveCountAsync(0);

        await cluster.WaitGatewaysAppliedAsync();
        counted = stock.Count;
        var (after, afterBody) = await cluster.GatewayGetAsync(gateway, path);
        Assert.False(after == 200 && afterBody == "stock-1", $"{path} still reached stock after the mapping was deleted");
        Assert.Equal(counted, stock.Count);
        await page.Context.CloseAsync();
    }

    [Fact]
    public async Task ExplainPanel_Viewer_SeesWhereARequestGoesAndWhyANodeIsLeftOut()
    {
        // A service of its own, so what other tests do to the shared cluster's services cannot change the answer.
        var name = $"explain-{Guid.NewGuid():N}"[..16];
        var address = cluster.Backend("stock-1").Address;
        await cluster.PostAsync($"/api/v1/groups/{ConsoleCluster.Group}/services", new
        {
            name,
            nodes = new object[]
            {
                new { id = "plain", address },
                new { id = "beta", address, gray = new[] { "canary" } },
                new { id = "off", address, online = false },
            },
            apis = new[] { new { id = "all", path = "/**" } },
        });
        await cluster.WaitGatewaysAppliedAsync();

        var page = await cluster.LoginAsync(ConsoleCluster.ViewerUser, ConsoleCluster.UserPassword, "/routing");
        await page.GetByLabel("Path and query").FillAsync("/pay/1");
        await page.GetByLabel("Headers, one Name: value per line").FillAsync($"serviceName: {name}");
        await page.GetByRole(AriaRole.Button, new() { Name = "Explain" }).ClickAsync();

        var result = page.GetByTestId("explain-result");
        await Expect(page.GetByTestId("explain-outcome")).ToHaveTextAsync("forward");
        await Expect(result).ToContainTextAsync(name);
        await Expect(page.GetByTestId("explain-node").Filter(new() { HasText = "beta" })).ToContainTextAsync("gray_tag");
        await Expect(page.GetByTestId("explain-node").Filter(new() { HasText = "off" })).ToContainTextAsync("offline");
        await Expect(page.GetByTestId("explain-node").Filter(new() { HasText = "plain" })).ToContainTextAsync("included");
        await ConsoleCluster.ScreenshotAsync(page, "routing-explain");

        // A bad field is named beside its input.
        await page.GetByLabel("Client IP").FillAsync("not-an-ip");
        await page.GetByRole(AriaRole.Button, new() { Name = "Explain" }).ClickAsync();
        await Expect(page.GetByTestId("explain-form").Locator(".field-error")).ToContainTextAsync("not-an-ip");
        await page.Context.CloseAsync();
    }
}
