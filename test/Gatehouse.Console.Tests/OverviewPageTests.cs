using Gatehouse.Console.Tests.Infrastructure;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace Gatehouse.Console.Tests;

/// <summary>The overview: live gateways with their applied version and sync status, and the re-push button.</summary>
[Collection(ConsoleCollection.Name)]
public sealed class OverviewPageTests(ConsoleCluster cluster)
{
    [Fact]
    public async Task Overview_ListsBothGatewaysAsCurrent_AndRePushIsAcceptedByTheGateway()
    {
        await cluster.WaitGatewaysCurrentAsync();
        var version = await cluster.AdminVersionAsync();
        var page = await cluster.LoginAsync(ConsoleCluster.OperatorUser, ConsoleCluster.UserPassword);
        foreach (var (nodeId, _, _) in cluster.Gateways)
        {
            await Expect(page.GetByTestId("gateway-" + nodeId)).ToContainTextAsync($"v{version}");
            await Expect(page.GetByTestId("gateway-" + nodeId)).ToContainTextAsync("current");
        }

        await page.GetByTestId("gateway-gw-2").GetByRole(AriaRole.Button, new() { Name = "Re-push" }).ClickAsync();
        await Expect(page.GetByRole(AriaRole.Status)).ToContainTextAsync($"Pushed version {version} to gw-2");
        await Expect(page.GetByTestId("gateway-gw-2")).ToContainTextAsync($"v{version}, ");
        await page.Context.CloseAsync();
    }

    [Fact]
    public async Task Overview_ForAViewer_HasNoRePushButton()
    {
        var page = await cluster.LoginAsync(ConsoleCluster.ViewerUser, ConsoleCluster.UserPassword);
        await Expect(page.GetByTestId("gateway-gw-1")).ToBeVisibleAsync();
        await Expect(page.GetByRole(AriaRole.Button, new() { Name = "Re-push" })).ToHaveCountAsync(0);
        await page.Context.CloseAsync();
    }

    [Fact]
    public async Task Overview_ShowsThePluginProblemsEachGatewayReports()
    {
        await cluster.WaitGatewaysCurrentAsync();
        var page = await cluster.LoginAsync(ConsoleCluster.ViewerUser, ConsoleCluster.UserPassword);

        // gw-2's plugins directory holds a folder whose assembly is not one; gw-1 has no plugins directory at all.
        var gw2 = page.GetByTestId("plugins-gw-2");
        await Expect(gw2).ToContainTextAsync("1 problem");
        await Expect(gw2).ToContainTextAsync(ConsoleCluster.BrokenPluginFolder + " failed");
        await Expect(page.GetByTestId("plugins-gw-1")).ToHaveTextAsync("—");
        await page.Context.CloseAsync();
    }
}
