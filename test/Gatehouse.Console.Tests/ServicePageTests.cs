using System.Diagnostics;
using Gatehouse.Console.Tests.Infrastructure;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace Gatehouse.Console.Tests;

/// <summary>The services list and a service's page in a real browser: traffic switch, weights, canary, roles.</summary>
[Collection(ConsoleCollection.Name)]
public sealed class ServicePageTests(ConsoleCluster cluster)
{
    private const string Group = ConsoleCluster.Group;

    [Fact]
    public async Task TakeTrafficOff_NodeGetsNoRequestsWithinTwoSeconds_NoRequestFails_ThenRestoreBringsItBack()
    {
        var page = await cluster.LoginAsync(ConsoleCluster.OperatorUser, ConsoleCluster.UserPassword, $"/services/orders?group={Group}");
        var off = cluster.Backend("orders-2");

        // A request loop through gw-1 for the whole test: not one request may fail while the node is switched.
        using var stop = new CancellationTokenSource();
        var failures = 0;
        var sent = 0;
        var loop = Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                Interlocked.Increment(ref sent);
                if (!await cluster.TryGetAsync(cluster.Gateways[0].Port, "orders", "/orders/1"))
                {
                    Interlocked.Increment(ref failures);
                }

                await Task.Delay(5);
            }
        });

        await cluster.WaitAsync(() => Task.FromResult(off.Count > 0), "orders-2 takes traffic before the switch");
        await page.GetByTestId("off-orders-2").ClickAsync();
        await page.GetByRole(AriaRole.Dialog).GetByRole(AriaRole.Button, new() { Name = "Take traffic off" }).ClickAsync();
        var switched = Stopwatch.StartNew();
        await Expect(page.GetByTestId("saved")).ToContainTextAsync("Traffic taken off orders-2");
        await Expect(page.GetByTestId("node-orders-2")).ToContainTextAsync("off");

        await Task.Delay(TimeSpan.FromSeconds(2) - switched.Elapsed);
        var countAfterTwoSeconds = off.Count;
        var sentBefore = Volatile.Read(ref sent);
        await Task.Delay(TimeSpan.FromSeconds(2));
        Assert.True(Volatile.Read(ref sent) - sentBefore > 20, "the request loop kept running");
        Assert.Equal(countAfterTwoSeconds, off.Count);
        Assert.False((await cluster.NodeAsync("orders", "orders-2")).GetProperty("online").GetBoolean());
        await ConsoleCluster.ScreenshotAsync(page, "service");

        await page.GetByTestId("on-orders-2").ClickAsync();
        await page.GetByRole(AriaRole.Dialog).GetByRole(AriaRole.Button, new() { Name = "Restore traffic" }).ClickAsync();
        await Expect(page.GetByTestId("saved")).ToContainTextAsync("Traffic restored to orders-2");
        var restoredFrom = off.Count;
        await cluster.WaitAsync(() => Task.FromResult(off.Count > restoredFrom), "orders-2 takes traffic again");

        await stop.CancelAsync();
        await loop;
        Assert.Equal(0, failures);
        await page.Context.CloseAsync();
    }

    [Fact]
    public async Task WeightEdit_OnStaleData_SaysChangedMeanwhileByTheOtherUser_AndLosesNothing()
    {
        var page = await cluster.LoginAsync(ConsoleCluster.OperatorUser, ConsoleCluster.UserPassword, $"/services/stock?group={Group}");
        await page.GetByLabel("Weight of stock-1").WaitForAsync();

        // Meanwhile the admin changes the same node through the REST API.
        var node = await cluster.NodeAsync("stock", "stock-1");
        var revision = await cluster.RevisionAsync("stock");
        var changed = System.Text.Json.JsonSerializer.Deserialize<Dictionary<string, object>>(node.GetRawText())!;
        changed["weight"] = 70;
        await cluster.PutAsync($"/api/v1/groups/{Group}/services/stock/nodes/stock-1", changed, revision);

        await page.GetByLabel("Weight of stock-1").FillAsync("30");
        await page.GetByTestId("node-stock-1").GetByRole(AriaRole.Button, new() { Name = "Save", Exact = true }).ClickAsync();
        await Expect(page.GetByTestId("problem")).ToContainTextAsync("Changed meanwhile by admin");
        await ConsoleCluster.ScreenshotAsync(page, "service-stale-edit");

        // Nothing lost: the other change stands and the typed value is still there to apply after a reload.
        Assert.Equal(70, (await cluster.NodeAsync("stock", "stock-1")).GetProperty("weight").GetInt32());
        await Expect(page.GetByLabel("Weight of stock-1")).ToHaveValueAsync("30");
        await page.GetByRole(AriaRole.Button, new() { Name = "Reload" }).ClickAsync();
        await page.GetByLabel("Weight of stock-1").FillAsync("30");
        await page.GetByTestId("node-stock-1").GetByRole(AriaRole.Button, new() { Name = "Save", Exact = true }).ClickAsync();
        await Expect(page.GetByTestId("saved")).ToContainTextAsync("Weight of stock-1 is now 30");
        Assert.Equal(30, (await cluster.NodeAsync("stock", "stock-1")).GetProperty("weight").GetInt32());
        await page.Context.CloseAsync();
    }

    [Fact]
    public async Task Viewer_SeesNoWriteControl_AndAWriteFromACircuitWhoseUserBecameViewerIsRefusedByTheServer()
    {
        var viewer = await cluster.LoginAsync(ConsoleCluster.ViewerUser, ConsoleCluster.UserPassword, $"/services/orders?group={Group}");
        await Expect(viewer.GetByTestId("node-orders-1")).ToBeVisibleAsync();
        await Expect(viewer.GetByRole(AriaRole.Button, new() { Name = "Take traffic off" })).ToHaveCountAsync(0);
        await Expect(viewer.GetByRole(AriaRole.Button, new() { Name = "Save", Exact = true })).ToHaveCountAsync(0);
        await Expect(viewer.GetByLabel("Weight of orders-1")).ToHaveCountAsync(0);
        await Expect(viewer.GetByRole(AriaRole.Button, new() { Name = "Add node" })).ToHaveCountAsync(0);
        await Expect(viewer.GetByRole(AriaRole.Button, new() { Name = "Apply canary" })).ToHaveCountAsync(0);
        await viewer.Context.CloseAsync();

        // An operator's circuit keeps its controls; the user is made a viewer; the next write event is refused by the API.
        await cluster.PostAsync("/api/v1/users", new { name = "oscar", password = ConsoleCluster.UserPassword, role = "operator" });
        var page = await cluster.LoginAsync("oscar", ConsoleCluster.UserPassword, $"/services/orders?group={Group}");
        await page.GetByTestId("off-orders-1").WaitForAsync();
        await cluster.PatchAsync("/api/v1/users/oscar", new { role = "viewer" });
        await page.GetByTestId("off-orders-1").ClickAsync();
        await page.GetByRole(AriaRole.Dialog).GetByRole(AriaRole.Button, new() { Name = "Take traffic off" }).ClickAsync();
        await Expect(page.GetByTestId("problem")).ToContainTextAsync("needs the role 'operator'");
        Assert.True((await cluster.NodeAsync("orders", "orders-1")).GetProperty("online").GetBoolean());
        await page.Context.CloseAsync();
    }

    [Fact]
    public async Task CanarySliderAt30_CanaryNodeGets30PercentOf2000Requests()
    {
        var page = await cluster.LoginAsync(ConsoleCluster.OperatorUser, ConsoleCluster.UserPassword, $"/services/pay?group={Group}");
        await page.GetByTestId("canary-slider").FillAsync("30");
        await Expect(page.GetByTestId("canary-value")).ToHaveTextAsync("30 %");
        await page.GetByTestId("apply-canary").ClickAsync();
        var dialog = page.GetByRole(AriaRole.Dialog);
        await Expect(dialog).ToContainTextAsync("2 nodes take ordinary traffic: pay-1, pay-canary");
        await dialog.GetByRole(AriaRole.Button, new() { Name = "Apply" }).ClickAsync();
        await Expect(page.GetByTestId("saved")).ToContainTextAsync("Canary share is now 30 %");
        await cluster.WaitGatewaysCurrentAsync();

        var canary = cluster.Backend("pay-canary");
        var ordinary = cluster.Backend("pay-1");
        var (canaryBefore, ordinaryBefore) = (canary.Count, ordinary.Count);
        Assert.Equal(0, await cluster.SendAsync("pay", "/pay/1", 2000));
        var canaryShare = (canary.Count - canaryBefore) / 2000.0;
        Assert.Equal(2000, canary.Count - canaryBefore + ordinary.Count - ordinaryBefore);
        Assert.InRange(canaryShare, 0.27, 0.33);
        await page.Context.CloseAsync();
    }

    [Fact]
    public async Task ServicesList_SearchFiltersByName_AndShowsHealthyOverTotal()
    {
        var page = await cluster.LoginAsync(ConsoleCluster.ViewerUser, ConsoleCluster.UserPassword, $"/services?group={Group}");
        await Expect(page.GetByTestId("service-row-orders")).ToContainTextAsync("2 / 2");
        await page.GetByTestId("service-search").FillAsync("sto");
        await Expect(page.GetByTestId("service-row-stock")).ToBeVisibleAsync();
        await Expect(page.GetByTestId("service-row-orders")).ToHaveCountAsync(0);
        await page.GetByTestId("service-search").FillAsync("");
        await Expect(page.GetByTestId("service-row-orders")).ToBeVisibleAsync();
        await ConsoleCluster.ScreenshotAsync(page, "services");
        await page.Context.CloseAsync();
    }
}
