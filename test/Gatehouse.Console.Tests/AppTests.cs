using System.Net.Http.Json;
using System.Text.Json;
using Gatehouse.Console.Tests.Infrastructure;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace Gatehouse.Console.Tests;

/// <summary>The apps page: the secrets it shows sign real requests through the gateways; rotation, disable and delete take effect there.</summary>
[Collection(ConsoleCollection.Name)]
public sealed class AppTests(ConsoleCluster cluster)
{
    [Fact]
    public async Task App_CreatedAndRotatedInConsole_ShownSecretsSign_DisabledAndDeletedAreRefused()
    {
        // A service of this test's own whose APIs require signed requests, served by the stock backend.
        var id = Guid.NewGuid().ToString("N")[..8];
        var service = $"h3-signed-{id}";
        var path = $"/h3-signed-{id}/x";
        var appKey = $"h3-app-{id}";
        await cluster.PostAsync($"/api/v1/groups/{ConsoleCluster.Group}/services", new
        {
            name = service,
            nodes = new[] { new { id = $"{service}-1", address = cluster.Backend("stock-1").Address, loc = "dc1" } },
            apis = new[] { new { id = "all", path = $"/h3-signed-{id}/**" } },
            policy = new { auth = new { sign = new { required = true } } },
        });
        var gateway = cluster.Gateways[0].Port;

        var page = await cluster.LoginAsync(ConsoleCluster.OperatorUser, ConsoleCluster.UserPassword, "/apps");
        await page.GetByLabel("App key").FillAsync(appKey);
        await page.GetByLabel("May call (comma-separated: service, service:apiId, or *)").FillAsync(service);
        await page.GetByLabel("Description").FillAsync("browser test app");
        await page.GetByRole(AriaRole.Button, new() { Name = "Create app" }).ClickAsync();
        await Expect(page.GetByTestId("secret-shown")).ToContainTextAsync($"App {appKey} was created.");
        var first = await page.GetByTestId("new-secret").InnerTextAsync();
        var row = page.GetByTestId("app-row").Filter(new() { HasText = appKey });
        await Expect(row).ToContainTextAsync("enabled");

        await cluster.WaitGatewaysAppliedAsync();
        Assert.Equal((200, "stock-1"), await cluster.GatewayGetAsync(gateway, path, appKey, first, service));
        Assert.Equal(401, (await cluster.GatewayGetAsync(gateway, path, serviceName: service)).Status);

        await row.GetByRole(AriaRole.Button, new() { Name = "Rotate secret" }).ClickAsync();
        await page.GetByRole(AriaRole.Dialog).GetByRole(AriaRole.Button, new() { Name = "Rotate secret" }).ClickAsync();
        await Expect(page.GetByTestId("secret-shown")).ToContainTextAsync($"The secret of {appKey} was rotated.");
        var second = await page.GetByTestId("new-secret").InnerTextAsync();
        Assert.NotEqual(first, second);
        await ConsoleCluster.ScreenshotAsync(page, "apps");

        var audit = await cluster.AuditAsync(appKey);
        Assert.Equal("app.rotateSecret", audit[0].GetProperty("action").GetString());
        Assert.Equal(ConsoleCluster.OperatorUser, audit[0].GetProperty("actor").GetString());
        Assert.DoesNotContain(second, JsonSerializer.Serialize(audit), StringComparison.Ordinal);

        await cluster.WaitGatewaysAppliedAsync();
        foreach (var gw in cluster.Gateways)
        {
            Assert.Equal((200, "stock-1"), await cluster.GatewayGetAsync(gw.Port, path, appKey, second, service));
            Assert.Equal(401, (await cluster.GatewayGetAsync(gw.Port, path, appKey, first, service)).Status);
        }

        // The secret is shown once: after a reload the page has none to show.
        await page.ReloadAsync();
        await Expect(row).ToContainTextAsync("stored (encrypted)");
        await Expect(page.GetByTestId("secret-shown")).ToHaveCountAsync(0);

        await row.GetByRole(AriaRole.Button, new() { Name = "Disable" }).ClickAsync();
        await page.GetByRole(AriaRole.Dialog).GetByRole(AriaRole.Button, new() { Name = "Disable app" }).ClickAsync();
        await Expect(row).ToContainTextAsync("disabled");
        var app = await cluster.Admin.GetFromJsonAsync<JsonElement>($"/api/v1/groups/{ConsoleCluster.Group}/apps/{appKey}");
        Assert.False(app.GetProperty("enabled").GetBoolean());
        Assert.True(app.GetProperty("secretSet").GetBoolean());
        await cluster.WaitGatewaysAppliedAsync();
        Assert.Equal(401, (await cluster.GatewayGetAsync(gateway, path, appKey, second, service)).Status);

        await row.GetByRole(AriaRole.Button, new() { Name = "Delete" }).ClickAsync();
        await page.GetByRole(AriaRole.Dialog).GetByRole(AriaRole.Button, new() { Name = "Delete app" }).ClickAsync();
        await Expect(row).ToHaveCountAsync(0);
        using (var gone = await cluster.Admin.GetAsync($"/api/v1/groups/{ConsoleCluster.Group}/apps/{appKey}"))
        {
            Assert.Equal(System.Net.HttpStatusCode.NotFound, gone.StatusCode);
        }

        await page.Context.CloseAsync();
        var stored = await cluster.ServiceAsync(service);
        using var delete = new HttpRequestMessage(HttpMethod.Delete, $"/api/v1/groups/{ConsoleCluster.Group}/services/{service}");
        delete.Headers.TryAddWithoutValidation("If-Match", $"\"{stored.GetProperty("revision").GetInt64()}\"");
        using var deleted = await cluster.Admin.SendAsync(delete);
        Assert.True(deleted.IsSuccessStatusCode, await deleted.Content.ReadAsStringAsync());
    }
}
