using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Gatehouse.Console.Tests.Infrastructure;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace Gatehouse.Console.Tests;

/// <summary>A user changes their own password and manages their own tokens on the account page, checked through the admin API.</summary>
[Collection(ConsoleCollection.Name)]
public sealed class AccountTests(ConsoleCluster cluster)
{
    [Fact]
    public async Task ChangePassword_WrongCurrentShowsErrorBesideTheField_RightOneChangesIt()
    {
        var user = "acct-" + Guid.NewGuid().ToString("N")[..6];
        const string NewPassword = "another-long-password-2";
        await cluster.PostAsync("/api/v1/users", new { name = user, password = ConsoleCluster.UserPassword, role = "viewer" });
        var page = await cluster.LoginAsync(user, ConsoleCluster.UserPassword, "/account");
        var form = page.GetByTestId("password-form");

        await form.GetByLabel("Current password").FillAsync("not-my-password");
        await form.GetByLabel("New password", new() { Exact = true }).FillAsync(NewPassword);
        await form.GetByLabel("New password again").FillAsync(NewPassword);
        await form.GetByRole(AriaRole.Button, new() { Name = "Change password" }).ClickAsync();

        // Beside the field: the error follows the current-password input directly.
        var error = page.Locator("#current-password + .field-error");
        await Expect(error).ToHaveTextAsync("is not the current password");
        Assert.Equal(HttpStatusCode.Unauthorized, await cluster.TryLoginAsync(user, NewPassword));
        await ConsoleCluster.ScreenshotAsync(page, "account-wrong-password");

        await form.GetByLabel("Current password").FillAsync(ConsoleCluster.UserPassword);
        await form.GetByLabel("New password", new() { Exact = true }).FillAsync(NewPassword);
        await form.GetByLabel("New password again").FillAsync(NewPassword);
        await form.GetByRole(AriaRole.Button, new() { Name = "Change password" }).ClickAsync();
        await Expect(page.GetByTestId("password-changed")).ToBeVisibleAsync();
        await Expect(error).ToHaveCountAsync(0);
        Assert.Equal(HttpStatusCode.OK, await cluster.TryLoginAsync(user, NewPassword));
        Assert.Equal(HttpStatusCode.Unauthorized, await cluster.TryLoginAsync(user, ConsoleCluster.UserPassword));

        // :: Own token: shown once, acts as the user, listed by the API.
        await page.GetByLabel("New token for").FillAsync("laptop");
        await page.GetByRole(AriaRole.Button, new() { Name = "Create token" }).ClickAsync();
        await Expect(page.GetByTestId("new-token")).ToBeVisibleAsync();
        var token = (await page.GetByTestId("new-token-value").InnerTextAsync()).Trim();
        using var request = new HttpRequestMessage(HttpMethod.Get, cluster.AdminUrl + "/api/v1/auth/tokens");
        request.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", token);
        using var response = await cluster.Client.SendAsync(request);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("laptop", Assert.Single((await response.Content.ReadFromJsonAsync<JsonElement>()).EnumerateArray()).GetProperty("name").GetString());
        await ConsoleCluster.ScreenshotAsync(page, "account");
        await page.Context.CloseAsync();
    }
}
