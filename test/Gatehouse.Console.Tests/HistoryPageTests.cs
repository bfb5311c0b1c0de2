using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Gatehouse.Console.Tests.Infrastructure;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace Gatehouse.Console.Tests;

/// <summary>The history page: versions, a diff between two, rollback that the gateways apply, and the filtered audit log.</summary>
[Collection(ConsoleCollection.Name)]
public sealed class HistoryPageTests(ConsoleCluster cluster)
{
    [Fact]
    public async Task Rollback_ToTheVersionBeforeAChange_GatewaysApplyTheOldConfig()
    {
        var name = "hist-" + Guid.NewGuid().ToString("N")[..8];
        var before = await cluster.AdminVersionAsync();
        var added = await cluster.AddServiceAsync(name);
        Assert.Equal(before + 1, added);
        IPage? page = null;
        try
        {
            await cluster.WaitForAllGatewaysAsync(added);
            foreach (var gateway in cluster.Gateways)
            {
                Assert.Equal(HttpStatusCode.OK, await cluster.ServiceStatusAsync(gateway.Port, name));
            }

            page = await cluster.LoginAsync(ConsoleCluster.OperatorUser, ConsoleCluster.UserPassword, "/history?group=default");

            // The diff of the change shows the added service as its own entry.
            await page.GetByTestId($"compare-previous-{added}").ClickAsync();
            await Expect(page.GetByTestId("diff-title")).ToContainTextAsync($"Version {before} → version {added}: 1 change");
            await Expect(page.Locator($"[data-testid=diff-row][data-entry='services[{name}]']")).ToContainTextAsync("added");

            await page.GetByTestId($"rollback-{before}").ClickAsync();
            var dialog = page.GetByRole(AriaRole.Dialog);
            await Expect(dialog).ToContainTextAsync($"equals version {before}");
            await dialog.GetByRole(AriaRole.Button, new() { Name = "Roll back" }).ClickAsync();
            await Expect(page.GetByTestId("history-notice")).ToContainTextAsync($"Published version {added + 1}");

            // What the API published and what the gateways run: version before's config under the new number.
            var rolledBack = added + 1;
            Assert.Equal(rolledBack, await cluster.AdminVersionAsync());
            var diff = await cluster.Admin.GetFromJsonAsync<JsonElement>($"/api/v1/groups/{ConsoleCluster.Group}/versions/{before}/diff/{rolledBack}");
            Assert.Empty(diff.GetProperty("changes").EnumerateArray());
            var checksum = diff.GetProperty("toChecksum").GetString();
            await cluster.WaitForAllGatewaysAsync(rolledBack);
            foreach (var gateway in cluster.Gateways)
            {
                var applied = await cluster.Client.GetFromJsonAsync<JsonElement>($"http://127.0.0.1:{gateway.ControlPort}/control/config/version");
                Assert.Equal(checksum, applied.GetProperty("checksum").GetString());
                Assert.NotEqual(HttpStatusCode.OK, await cluster.ServiceStatusAsync(gateway.Port, name));
                Assert.Equal(HttpStatusCode.OK, await cluster.ServiceStatusAsync(gateway.Port, "stock"));
            }

            using (var service = await cluster.Admin.GetAsync($"/api/v1/groups/{ConsoleCluster.Group}/services/{name}"))
            {
                Assert.Equal(HttpStatusCode.NotFound, service.StatusCode);
            }

            // The audit log, filtered in the page, names the operator's rollback and the version it restored.
            await page.GetByLabel("Entity kind").SelectOptionAsync("group");
            await page.GetByLabel("Actor").FillAsync(ConsoleCluster.OperatorUser);
            await page.GetByRole(AriaRole.Button, new() { Name = "Filter" }).ClickAsync();
            var first = page.GetByTestId("audit-row").First;
            await Expect(first).ToContainTextAsync("rollback");
            await Expect(first).ToContainTextAsync($"{rolledBack} (from {before})");
            await Expect(page.GetByTestId("audit-row")).ToHaveCountAsync(await AuditTotalAsync("entityKind=group&actor=" + ConsoleCluster.OperatorUser));

            await ConsoleCluster.ScreenshotAsync(page, "history");
        }
        finally
        {
            // The rollback removed the service; if the test failed before it, the service goes here.
            await cluster.DeleteServiceIfPresentAsync(name);
            if (page is not null)
            {
                await page.Context.CloseAsync();
            }
        }
    }

    [Fact]
    public async Task Viewer_SeesVersionsAndDiffButNoRollback()
    {
        var page = await cluster.LoginAsync(ConsoleCluster.ViewerUser, ConsoleCluster.UserPassword, "/history?group=default");
        await Expect(page.GetByTestId("version-row").First).ToBeVisibleAsync();
        await Expect(page.GetByRole(AriaRole.Button, new() { Name = "Roll back" })).ToHaveCountAsync(0);
        await page.GetByRole(AriaRole.Button, new() { Name = "Compare", Exact = true }).ClickAsync();
        await Expect(page.GetByTestId("diff-title")).ToBeVisibleAsync();
        await page.Context.CloseAsync();
    }

    private async Task<int> AuditTotalAsync(string query)
    {
        var body = await cluster.Admin.GetFromJsonAsync<JsonElement>($"/api/v1/audit?group={ConsoleCluster.Group}&{query}&limit=25");
        return Math.Min(25, body.GetProperty("total").GetInt32());
    }
}
