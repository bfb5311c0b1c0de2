using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Gatehouse.Console.Tests.Infrastructure;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace Gatehouse.Console.Tests;

/// <summary>User management in the console, checked through the admin API; only admins get to it.</summary>
[Collection(ConsoleCollection.Name)]
public sealed class UsersTests(ConsoleCluster cluster)
{
    [Fact]
    public async Task Admin_CreatesUserChangesRoleUnlocksLockedOneManagesTokensAndDeletes()
    {
        var suffix = Guid.NewGuid().ToString("N")[..6];
        var created = "new-" + suffix;
        var locked = "locked-" + suffix;
        await cluster.PostAsync("/api/v1/users", new { name = locked, password = ConsoleCluster.UserPassword, role = "viewer" });
        for (var i = 0; i < 3; i++)
        {
            Assert.Equal(HttpStatusCode.Unauthorized, await cluster.TryLoginAsync(locked, "wrong-password-" + i));
        }

        Assert.True((await cluster.UserAsync(locked))!.Value.GetProperty("locked").GetBoolean());

        var page = await cluster.LoginAsync("admin", ConsoleCluster.AdminPassword, "/users");
        await Expect(page.GetByRole(AriaRole.Link, new() { Name = "Users" })).ToBeVisibleAsync();

        // :: Create, with the API's field error first (too short a password), then for real.
        var form = page.GetByTestId("new-user");
        await form.GetByLabel("Name").FillAsync(created);
        await form.GetByLabel("Password").FillAsync("short");
        await form.GetByLabel("Role").SelectOptionAsync("operator");
        await form.GetByRole(AriaRole.Button, new() { Name = "Create user" }).ClickAsync();
        await Expect(form.Locator(".field-error")).ToBeVisibleAsync();
        Assert.Null(await cluster.UserAsync(created));
        await form.GetByLabel("Password").FillAsync(ConsoleCluster.UserPassword);
        await form.GetByRole(AriaRole.Button, new() { Name = "Create user" }).ClickAsync();
        await Expect(page.GetByTestId("user-row-" + created)).ToBeVisibleAsync();
        Assert.Equal("operator", (await cluster.UserAsync(created))!.Value.GetProperty("role").GetString());
        Assert.Equal(HttpStatusCode.OK, await cluster.TryLoginAsync(created, ConsoleCluster.UserPassword));

        // :: Role change, confirmed.
        var row = page.GetByTestId("user-row-" + created);
        await row.GetByLabel($"Role of {created}").SelectOptionAsync("viewer");
        await row.GetByRole(AriaRole.Button, new() { Name = "Change role" }).ClickAsync();
        await page.GetByRole(AriaRole.Dialog).GetByRole(AriaRole.Button, new() { Name = "Change role" }).ClickAsync();
        await Expect(page.GetByTestId("users-notice")).ToContainTextAsync($"{created} is now viewer");
        Assert.Equal("viewer", (await cluster.UserAsync(created))!.Value.GetProperty("role").GetString());

        // :: Unlock: the right password works again.
        var lockedRow = page.GetByTestId("user-row-" + locked);
        await Expect(lockedRow.GetByTestId("locked")).ToBeVisibleAsync();
        await ConsoleCluster.ScreenshotAsync(page, "users");
        await lockedRow.GetByRole(AriaRole.Button, new() { Name = $"Unlock {locked}" }).ClickAsync();
        await Expect(lockedRow.GetByTestId("locked")).ToHaveCountAsync(0);
        var unlocked = (await cluster.UserAsync(locked))!.Value;
        Assert.False(unlocked.GetProperty("locked").GetBoolean());
        Assert.Equal(0, unlocked.GetProperty("failedLogins").GetInt32());
        Assert.Equal(HttpStatusCode.OK, await cluster.TryLoginAsync(locked, ConsoleCluster.UserPassword));

        // :: A token for the new user, shown once, works as that user until revoked.
        await row.GetByRole(AriaRole.Button, new() { Name = $"Password and tokens of {created}" }).ClickAsync();
        var credentials = page.GetByTestId("credentials-" + created);
        await credentials.GetByLabel("New token for").FillAsync("ci");
        await credentials.GetByRole(AriaRole.Button, new() { Name = "Create token" }).ClickAsync();
        var token = await credentials.GetByTestId("new-token-value").InnerTextAsync();
        Assert.Equal(created, await MeAsync(token));
        await credentials.GetByTestId("token-row").GetByRole(AriaRole.Button, new() { Name = "Revoke" }).ClickAsync();
        await page.GetByRole(AriaRole.Button, new() { Name = "Revoke token" }).ClickAsync();
        await Expect(credentials.GetByTestId("token-row")).ToHaveCountAsync(0);
        Assert.Null(await MeAsync(token));

        // :: Delete, confirmed.
        await page.GetByTestId("delete-" + created).ClickAsync();
        await page.GetByRole(AriaRole.Button, new() { Name = "Delete user" }).ClickAsync();
        await Expect(page.GetByTestId("user-row-" + created)).ToHaveCountAsync(0);
        Assert.Null(await cluster.UserAsync(created));
        await page.Context.CloseAsync();
    }

    [Fact]
    public async Task Viewer_HasNoUsersLink_AndTheUsersPageShowsNoUserBecauseTheApiRefuses()
    {
        var page = await cluster.LoginAsync(ConsoleCluster.ViewerUser, ConsoleCluster.UserPassword);
        await Expect(page.GetByRole(AriaRole.Link, new() { Name = "Traffic" })).ToBeVisibleAsync();
        await Expect(page.GetByRole(AriaRole.Link, new() { Name = "Users" })).ToHaveCountAsync(0);

        await page.GotoAsync("/users");
        await Expect(page.GetByTestId("users-forbidden")).ToBeVisibleAsync();
        await Expect(page.GetByTestId("users-table")).ToHaveCountAsync(0);
        await Expect(page.Locator("main")).Not.ToContainTextAsync(ConsoleCluster.OperatorUser);

        using var viewer = await cluster.SessionClientAsync(ConsoleCluster.ViewerUser, ConsoleCluster.UserPassword);
        using var response = await viewer.GetAsync("/api/v1/users");
        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        await page.Context.CloseAsync();
    }

    /// <summary>Who the admin API says <paramref name="token"/> is; null when it refuses it.</summary>
    private async Task<string?> MeAsync(string token)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, cluster.AdminUrl + "/api/v1/auth/me");
        request.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", token.Trim());
        using var response = await cluster.Client.SendAsync(request);
        return response.IsSuccessStatusCode ? (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("user").GetString() : null;
    }
}
