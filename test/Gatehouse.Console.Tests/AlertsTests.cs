using System.Net.Http.Json;
using System.Text.Json;
using Gatehouse.Console.Tests.Infrastructure;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace Gatehouse.Console.Tests;

/// <summary>Alert rules written in the console land in the admin API; a real alert fires from real traffic and is acknowledged.</summary>
[Collection(ConsoleCollection.Name)]
public sealed class AlertsTests(ConsoleCluster cluster)
{
    // Nothing listens on the discard port: deliveries fail and are only logged, which the alert history does not depend on.
    private const string Webhook = "http://127.0.0.1:9/hook";

    [Fact]
    public async Task AlertRule_CreatedInConsole_IsInTheApi_FiresOnTraffic_IsAcknowledged_EditedAndDeleted()
    {
        var name = "stock p99 " + Guid.NewGuid().ToString("N")[..6];
        var page = await cluster.LoginAsync(ConsoleCluster.OperatorUser, ConsoleCluster.UserPassword, "/alerts");
        await page.GetByRole(AriaRole.Button, new() { Name = "New rule" }).ClickAsync();
        var form = page.GetByTestId("rule-form");
        await form.GetByLabel("Name").FillAsync(name);
        await form.GetByLabel("Fires when").SelectOptionAsync("p99Latency");
        await form.GetByLabel("Threshold").FillAsync("0");
        await form.GetByLabel("Window").FillAsync("1m");
        await form.GetByLabel("Minimum requests").FillAsync("1");
        await form.GetByLabel("Service").FillAsync("stock");
        await form.GetByLabel("Cool-down").FillAsync("0s");

        // :: The API's validation, beside the field: the webhook is still missing.
        await form.GetByRole(AriaRole.Button, new() { Name = "Create rule" }).ClickAsync();
        await Expect(form.Locator(".field-error")).ToContainTextAsync("the webhook URL is required");
        Assert.DoesNotContain(await RulesAsync(), r => r.GetProperty("name").GetString() == name);

        await form.GetByLabel("Webhook URL").FillAsync(Webhook);
        await form.GetByRole(AriaRole.Button, new() { Name = "Create rule" }).ClickAsync();
        await Expect(page.GetByTestId("rules-table")).ToContainTextAsync(name);
        var rule = Assert.Single(await RulesAsync(), r => r.GetProperty("name").GetString() == name);
        Assert.Equal("p99Latency", rule.GetProperty("kind").GetString());
        Assert.Equal(0, rule.GetProperty("threshold").GetDouble());
        Assert.Equal("stock", rule.GetProperty("service").GetString());
        Assert.Equal("1m", rule.GetProperty("window").GetString());
        var id = rule.GetProperty("id").GetString()!;

        // :: Any request to stock has a p99 above 0 ms: the rule fires at the admin's next evaluation (every 15 s).
        await cluster.SendThroughGatewaysAsync("stock", "/stock/alert", perGateway: 10);
        var row = page.GetByTestId("alerts-table").Locator("tr", new() { HasText = name });
        await Expect(row).ToContainTextAsync("firing", new() { Timeout = 60_000 });
        await row.GetByRole(AriaRole.Button, new() { NameRegex = new System.Text.RegularExpressions.Regex("^Acknowledge") }).ClickAsync();
        await Expect(row.GetByTestId("acked-by")).ToHaveTextAsync("by " + ConsoleCluster.OperatorUser);
        var alert = Assert.Single(await AlertsAsync(id));
        Assert.Equal("firing", alert.GetProperty("state").GetString());
        Assert.Equal(ConsoleCluster.OperatorUser, alert.GetProperty("ackedBy").GetString());
        await ConsoleCluster.ScreenshotAsync(page, "alerts");

        // :: Edit: the API holds the new name, the rest unchanged.
        await page.GetByRole(AriaRole.Button, new() { Name = $"Edit {name}" }).ClickAsync();
        await page.GetByTestId("rule-form").GetByLabel("Name").FillAsync(name + " edited");
        await page.GetByTestId("rule-form").GetByRole(AriaRole.Button, new() { Name = "Save rule" }).ClickAsync();
        await Expect(page.GetByTestId("rules-table")).ToContainTextAsync(name + " edited");
        rule = Assert.Single(await RulesAsync(), r => r.GetProperty("id").GetString() == id);
        Assert.Equal(name + " edited", rule.GetProperty("name").GetString());
        Assert.Equal("stock", rule.GetProperty("service").GetString());

        // :: Delete, confirmed: the rule is gone and its firing alert closed.
        await page.GetByTestId("rule-row").Filter(new() { HasText = name + " edited" }).GetByRole(AriaRole.Button, new() { Name = "Delete" }).ClickAsync();
        await page.GetByRole(AriaRole.Button, new() { Name = "Delete rule" }).ClickAsync();
        await Expect(page.GetByTestId("rules-table")).Not.ToContainTextAsync(name);
        Assert.DoesNotContain(await RulesAsync(), r => r.GetProperty("id").GetString() == id);
        Assert.Equal("resolved", Assert.Single(await AlertsAsync(id)).GetProperty("state").GetString());
        await page.Context.CloseAsync();
    }

    [Fact]
    public async Task Alerts_Viewer_SeesNoRuleOrAckControls()
    {
        var page = await cluster.LoginAsync(ConsoleCluster.ViewerUser, ConsoleCluster.UserPassword, "/alerts");
        await Expect(page.GetByTestId("rules-table")).ToBeVisibleAsync();
        await Expect(page.GetByRole(AriaRole.Button, new() { Name = "New rule" })).ToHaveCountAsync(0);
        await Expect(page.GetByRole(AriaRole.Button, new() { Name = "Delete" })).ToHaveCountAsync(0);
        await page.Context.CloseAsync();
    }

    private async Task<List<JsonElement>> RulesAsync() =>
        (await cluster.Admin.GetFromJsonAsync<JsonElement>($"/api/v1/groups/{ConsoleCluster.Group}/alert-rules")).EnumerateArray().ToList();

    private async Task<List<JsonElement>> AlertsAsync(string ruleId) =>
        (await cluster.Admin.GetFromJsonAsync<JsonElement>($"/api/v1/groups/{ConsoleCluster.Group}/alerts?rule={ruleId}")).EnumerateArray().ToList();
}
