using Gatehouse.Console.Tests.Infrastructure;
using Gatehouse.Scenario.Tests;
using static Microsoft.Playwright.Assertions;

namespace Gatehouse.Console.Tests;

/// <summary>The service page shows each node's health as both gateways' health checks see it, reported with their heartbeats.</summary>
[Collection(ConsoleCollection.Name)]
public sealed class NodeHealthTests(ConsoleCluster cluster)
{
    [Fact]
    public async Task ServicePage_ShowsANodeNothingAnswersOn_AsUnhealthyOnBothGateways_AndALiveOneAsHealthy()
    {
        var name = "health-" + Guid.NewGuid().ToString("N")[..8];
        await using var good = await CountingBackend.StartAsync(name + "-good");
        var closedPort = GatehouseProcess.FreePort();
        await cluster.PostAsync($"/api/v1/groups/{ConsoleCluster.Group}/services", new
        {
            name,
            healthCheck = new { path = "/healthz", intervalMs = 300, timeoutMs = 200 },
            nodes = new object[]
            {
                new { id = "good", address = good.Address, loc = "dc1" },
                new { id = "bad", address = $"http://127.0.0.1:{closedPort}", loc = "dc1" },
            },
            apis = new[] { new { id = "all", path = $"/{name}/**" } },
        });
        try
        {
            await cluster.WaitGatewaysCurrentAsync();
            var page = await cluster.LoginAsync(ConsoleCluster.ViewerUser, ConsoleCluster.UserPassword,
                $"/services/{name}?group={ConsoleCluster.Group}");

            // The page refreshes health by itself: no reload needed once the gateways have probed and reported.
            await Expect(page.GetByTestId("health-bad")).ToContainTextAsync("unhealthy on gw-1", new() { Timeout = 20_000 });
            await Expect(page.GetByTestId("health-bad")).ToContainTextAsync("unhealthy on gw-2", new() { Timeout = 20_000 });
            await Expect(page.GetByTestId("health-good")).ToHaveTextAsync("healthy on 2 gateways", new() { Timeout = 20_000 });
            Assert.True(good.Count > 0, "the gateways probed the live node");
            await ConsoleCluster.ScreenshotAsync(page, "service-health");
            await page.Context.CloseAsync();
        }
        finally
        {
            var revision = await cluster.RevisionAsync(name);
            using var delete = new HttpRequestMessage(HttpMethod.Delete, $"/api/v1/groups/{ConsoleCluster.Group}/services/{name}");
            delete.Headers.IfMatch.Add(new System.Net.Http.Headers.EntityTagHeaderValue($"\"{revision}\""));
            using var _ = await cluster.Admin.SendAsync(delete);
        }
    }
}
