using System.Net;
using System.Text.Json.Nodes;
using Gatehouse.Console.Tests.Infrastructure;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace Gatehouse.Console.Tests;

/// <summary>The gray config page: a gray config for one gateway reaches only that gateway, and promote reaches both.</summary>
[Collection(ConsoleCollection.Name)]
public sealed class GrayConfigPageTests(ConsoleCluster cluster)
{
    [Fact]
    public async Task GrayForGw1_OnlyGw1AppliesIt_ThenPromote_BothApplyIt()
    {
        var name = "gray-" + Guid.NewGuid().ToString("N")[..8];
        var (gw1, gw2) = (cluster.Gateways.Single(g => g.NodeId == "gw-1"), cluster.Gateways.Single(g => g.NodeId == "gw-2"));
        var normal = await cluster.AdminVersionAsync();
        await cluster.WaitForAllGatewaysAsync(normal);

        // The current config plus one service of this test's own.
        var config = await cluster.ExportAsync();
        config["services"]!.AsArray().Add(cluster.ExtraService(name));
        IPage? page = null;
        try
        {
            page = await cluster.LoginAsync(ConsoleCluster.OperatorUser, ConsoleCluster.UserPassword, "/gray?group=default");
            var editor = page.GetByLabel("Config (JSON or YAML", new() { Exact = false });
            await Expect(editor).ToHaveValueAsync(new System.Text.RegularExpressions.Regex("\"orders\""));
            await page.GetByTestId("gray-node-gw-1").CheckAsync();
            await editor.FillAsync(config.ToJsonString(new System.Text.Json.JsonSerializerOptions { WriteIndented = true }));

            // Create stays unavailable until the change was reviewed.
            await Expect(page.GetByTestId("gray-create")).ToBeDisabledAsync();
            await page.GetByTestId("gray-review").ClickAsync();
            await Expect(page.GetByTestId("gray-review-title")).ToContainTextAsync($"Changes against version {normal} for gw-1");
            await Expect(page.Locator($"[data-testid=diff-row][data-entry='services[{name}]']")).ToContainTextAsync("added");
            await Expect(page.GetByTestId("diff-row")).ToHaveCountAsync(1);
            await ConsoleCluster.ScreenshotAsync(page, "gray-config-review");
            await page.GetByTestId("gray-create").ClickAsync();

            await Expect(page.GetByTestId("gray-nodes")).ToHaveTextAsync("gw-1");
            var grayVersion = long.Parse(await page.GetByTestId("gray-version").InnerTextAsync());
            Assert.True(grayVersion > normal);

            // Only gw-1 applies it: its version and its traffic port; gw-2 stays on the normal version without the route.
            await cluster.WaitAsync(async () => await cluster.GatewayVersionAsync(gw1.ControlPort) == grayVersion, "gw-1 applied the gray version");
            Assert.Equal(HttpStatusCode.OK, await cluster.ServiceStatusAsync(gw1.Port, name));
            await Task.Delay(TimeSpan.FromSeconds(1));
            Assert.Equal(normal, await cluster.GatewayVersionAsync(gw2.ControlPort));
            Assert.NotEqual(HttpStatusCode.OK, await cluster.ServiceStatusAsync(gw2.Port, name));
            Assert.Equal(normal, await cluster.AdminVersionAsync());

            // The page, refreshed, shows each gateway on the version it is served.
            await page.GetByRole(AriaRole.Button, new() { Name = "Refresh" }).ClickAsync();
            await Expect(page.GetByTestId("gray-gateway-gw-1")).ToContainTextAsync($"{grayVersion}");
            await Expect(page.GetByTestId("gray-gateway-gw-1")).ToContainTextAsync("current");
            await Expect(page.GetByTestId("gray-gateway-gw-2")).ToContainTextAsync($"{normal}");
            await ConsoleCluster.ScreenshotAsync(page, "gray-config");
            await page.GetByTestId("gray-promote").ClickAsync();
            var dialog = page.GetByRole(AriaRole.Dialog);
            await Expect(dialog).ToContainTextAsync("every gateway of the group applies it");
            await dialog.GetByRole(AriaRole.Button, new() { Name = "Promote" }).ClickAsync();
            await Expect(page.GetByTestId("gray-notice")).ToContainTextAsync("Promoted: published version");
            await Expect(page.GetByTestId("active-gray")).ToHaveCountAsync(0);

            var promoted = await cluster.AdminVersionAsync();
            Assert.True(promoted > grayVersion);
            await cluster.WaitForAllGatewaysAsync(promoted);
            foreach (var gateway in cluster.Gateways)
            {
                Assert.Equal(HttpStatusCode.OK, await cluster.ServiceStatusAsync(gateway.Port, name));
            }
        }
        finally
        {
            // Leave the group as it was: no gray config, no service of this test.
            await cluster.DropGrayIfActiveAsync();
            await cluster.DeleteServiceIfPresentAsync(name);
            if (page is not null)
            {
                await page.Context.CloseAsync();
            }
        }
    }

    [Fact]
    public async Task GrayForGw2_Dropped_Gw2ReturnsToTheNormalConfig()
    {
        var name = "drop-" + Guid.NewGuid().ToString("N")[..8];
        var gw2 = cluster.Gateways.Single(g => g.NodeId == "gw-2");
        var config = await cluster.ExportAsync();
        config["services"]!.AsArray().Add(cluster.ExtraService(name));
        var page = await cluster.LoginAsync(ConsoleCluster.OperatorUser, ConsoleCluster.UserPassword, "/gray?group=default");
        try
        {
            await page.GetByTestId("gray-node-gw-2").CheckAsync();
            await page.GetByLabel("Config (JSON or YAML", new() { Exact = false }).FillAsync(config.ToJsonString());
            await page.GetByTestId("gray-review").ClickAsync();
            await page.GetByTestId("gray-create").ClickAsync();
            var grayVersion = long.Parse(await page.GetByTestId("gray-version").InnerTextAsync());
            await cluster.WaitAsync(async () => await cluster.GatewayVersionAsync(gw2.ControlPort) == grayVersion, "gw-2 applied the gray version");
            Assert.Equal(HttpStatusCode.OK, await cluster.ServiceStatusAsync(gw2.Port, name));

            await page.GetByTestId("gray-drop").ClickAsync();
            var dialog = page.GetByRole(AriaRole.Dialog);
            await Expect(dialog).ToContainTextAsync("gw-2 go back to the group's current config");
            await dialog.GetByRole(AriaRole.Button, new() { Name = "Drop" }).ClickAsync();
            await Expect(page.GetByTestId("gray-notice")).ToContainTextAsync("Dropped: published version");

            var dropped = await cluster.AdminVersionAsync();
            Assert.True(dropped > grayVersion);
            await cluster.WaitForAllGatewaysAsync(dropped);
            Assert.NotEqual(HttpStatusCode.OK, await cluster.ServiceStatusAsync(gw2.Port, name));
            Assert.Equal(HttpStatusCode.OK, await cluster.ServiceStatusAsync(gw2.Port, "stock"));
        }
        finally
        {
            await cluster.DropGrayIfActiveAsync();
            await page.Context.CloseAsync();
        }
    }

    [Fact]
    public async Task Viewer_SeesNoGrayEditorOrButtons()
    {
        var page = await cluster.LoginAsync(ConsoleCluster.ViewerUser, ConsoleCluster.UserPassword, "/gray?group=default");
        await Expect(page.GetByText("Operators can create one here")).ToBeVisibleAsync();
        await Expect(page.GetByRole(AriaRole.Textbox)).ToHaveCountAsync(0);
        await Expect(page.GetByTestId("gray-review")).ToHaveCountAsync(0);
        await page.Context.CloseAsync();
    }

    [Fact]
    public async Task InvalidGrayConfig_ShowsTheApiErrorWithItsLine_AndCreatesNothing()
    {
        var page = await cluster.LoginAsync(ConsoleCluster.OperatorUser, ConsoleCluster.UserPassword, "/gray?group=default");
        await page.GetByTestId("gray-node-gw-2").CheckAsync();
        await page.GetByLabel("Config (JSON or YAML", new() { Exact = false }).FillAsync(
            "services:\n  - name: broken\n    nodes:\n      - id: b-1\n        address: http://127.0.0.1:1\n        weight: -5\n");
        await page.GetByTestId("gray-review").ClickAsync();
        await Expect(page.GetByTestId("problem")).ToContainTextAsync("services[broken].nodes[b-1].weight");
        await Expect(page.GetByTestId("problem")).ToContainTextAsync("line 6");
        await Expect(page.GetByTestId("gray-create")).ToBeDisabledAsync();
        using (var gray = await cluster.Admin.GetAsync($"/api/v1/groups/{ConsoleCluster.Group}/gray"))
        {
            Assert.Equal(HttpStatusCode.NotFound, gray.StatusCode);
        }

        await page.Context.CloseAsync();
    }
}
