using System.Net;
using System.Text;
using Gatehouse.Console.Tests.Infrastructure;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace Gatehouse.Console.Tests;

/// <summary>The policies page: the API's field errors beside the form's fields, YAML errors by line, valid edits published.</summary>
[Collection(ConsoleCollection.Name)]
public sealed class PolicyTests(ConsoleCluster cluster)
{
    [Fact]
    public async Task GlobalPolicy_InvalidFormValueAndYamlError_ChangeNothing_ValidEditsPublish()
    {
        var original = await cluster.GlobalPolicyAsync();
        var revision = original.GetProperty("revision").GetInt64();
        var version = await cluster.AdminVersionAsync();
        var page = await cluster.LoginAsync(ConsoleCluster.OperatorUser, ConsoleCluster.UserPassword, "/policies");
        await Expect(page.GetByTestId("policy-revision")).ToHaveTextAsync($"revision {revision}");

        // Out of range: the API's message appears beside the Connect field, and neither the revision nor the version moves.
        await page.GetByLabel("Connect", new() { Exact = true }).FillAsync("-5");
        await page.GetByRole(AriaRole.Button, new() { Name = "Save form" }).ClickAsync();
        var connectField = page.GetByTestId("policy-form").Locator(".form-row > div").Filter(new() { Has = page.GetByLabel("Connect", new() { Exact = true }) });
        await Expect(connectField.Locator(".field-error")).ToBeVisibleAsync();
        Assert.Equal(revision, (await cluster.GlobalPolicyAsync()).GetProperty("revision").GetInt64());
        Assert.Equal(version, await cluster.AdminVersionAsync());

        // A YAML error names its line (the unknown key on line 3), with that line's text.
        var editor = page.GetByLabel("Policy (YAML, the global entry of a config file)");
        await editor.FillAsync("timeouts:\n  connectMs: 5000\n  colour: red\n");
        await page.GetByRole(AriaRole.Button, new() { Name = "Save YAML" }).ClickAsync();
        var yamlError = page.GetByTestId("yaml-error").Filter(new() { HasText = "colour" });
        await Expect(yamlError).ToContainTextAsync("Line 3:");
        await Expect(yamlError.Locator("pre")).ToContainTextAsync("colour: red");
        await ConsoleCluster.ScreenshotAsync(page, "policies");
        Assert.Equal(revision, (await cluster.GlobalPolicyAsync()).GetProperty("revision").GetInt64());
        Assert.Equal(version, await cluster.AdminVersionAsync());

        // Valid edits, at the built-in defaults so other tests see no change in behaviour: each publishes a version.
        await page.GetByLabel("Connect", new() { Exact = true }).FillAsync("5000");
        await page.GetByRole(AriaRole.Button, new() { Name = "Save form" }).ClickAsync();
        await Expect(page.GetByTestId("policy-revision")).ToHaveTextAsync($"revision {revision + 1}");
        Assert.Equal(version + 1, await cluster.AdminVersionAsync());
        var saved = (await cluster.GlobalPolicyAsync()).GetProperty("policy");
        Assert.Equal(5000, saved.GetProperty("timeouts").GetProperty("connectMs").GetInt32());

        await Expect(editor).ToHaveValueAsync(new System.Text.RegularExpressions.Regex("connectMs: 5000"));
        var text = await editor.InputValueAsync();
        await editor.FillAsync(text.Replace("  connectMs: 5000\n", "  connectMs: 5000\n  idleMs: 60000\n", StringComparison.Ordinal));
        await page.GetByRole(AriaRole.Button, new() { Name = "Save YAML" }).ClickAsync();
        await Expect(page.GetByTestId("policy-revision")).ToHaveTextAsync($"revision {revision + 2}");
        await Expect(page.GetByLabel("Idle", new() { Exact = true })).ToHaveValueAsync("60000");
        Assert.Equal(version + 2, await cluster.AdminVersionAsync());
        Assert.Equal(60000, (await cluster.GlobalPolicyAsync()).GetProperty("policy").GetProperty("timeouts").GetProperty("idleMs").GetInt32());
        Assert.Equal(version + 2, await cluster.WaitGatewaysAppliedAsync());
        await page.Context.CloseAsync();

        // Put back what was there before, if anything was (an unset policy cannot be written back; the defaults stay).
        if (original.TryGetProperty("policy", out var policy) && policy.ValueKind == System.Text.Json.JsonValueKind.Object)
        {
            using var restore = new HttpRequestMessage(HttpMethod.Put, $"/api/v1/groups/{ConsoleCluster.Group}/global-policy")
            {
                Content = new StringContent(policy.GetRawText(), Encoding.UTF8, "application/json"),
            };
            restore.Headers.TryAddWithoutValidation("If-Match", $"\"{revision + 2}\"");
            using var restored = await cluster.Admin.SendAsync(restore);
            Assert.Equal(HttpStatusCode.OK, restored.StatusCode);
        }
    }
}
