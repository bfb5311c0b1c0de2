using Gatehouse.Console.Tests.Infrastructure;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace Gatehouse.Console.Tests;

/// <summary>Logging in and out of the console in a real browser, against the admin's real users and sessions.</summary>
[Collection(ConsoleCollection.Name)]
public sealed class LoginTests(ConsoleCluster cluster)
{
    [Fact]
    public async Task Login_RightPassword_ShowsOverviewAsTheUser()
    {
        var page = await cluster.LoginAsync(ConsoleCluster.OperatorUser, ConsoleCluster.UserPassword);
        await Expect(page.GetByTestId("current-user")).ToHaveTextAsync(ConsoleCluster.OperatorUser);
        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Overview" })).ToBeVisibleAsync();
        await ConsoleCluster.ScreenshotAsync(page, "overview");
        await page.Context.CloseAsync();
    }

    [Fact]
    public async Task Login_WrongPassword_SaysSoAndStaysOnLogin()
    {
        var page = await cluster.NewPageAsync();
        await page.GotoAsync("/login");
        await page.GetByLabel("User").FillAsync(ConsoleCluster.ViewerUser);
        await page.GetByLabel("Password").FillAsync("not-the-password");
        await page.GetByRole(AriaRole.Button, new() { Name = "Log in" }).ClickAsync();
        await Expect(page.GetByTestId("login-error")).ToContainTextAsync("invalid user name or password");
        Assert.EndsWith("/login", new Uri(page.Url).AbsolutePath);
        await ConsoleCluster.ScreenshotAsync(page, "login-wrong-password");
        await page.Context.CloseAsync();
    }

    [Fact]
    public async Task Login_AfterThreeWrongPasswords_SaysLockedEvenWithTheRightOne()
    {
        await cluster.PostAsync("/api/v1/users", new { name = "lucy", password = ConsoleCluster.UserPassword, role = "viewer" });
        var page = await cluster.NewPageAsync();
        for (var i = 0; i < 3; i++)
        {
            await page.GotoAsync("/login");
            await page.GetByLabel("User").FillAsync("lucy");
            await page.GetByLabel("Password").FillAsync("wrong-password-" + i);
            await page.GetByRole(AriaRole.Button, new() { Name = "Log in" }).ClickAsync();
            await page.GetByTestId("login-error").WaitForAsync();
        }

        await page.GotoAsync("/login");
        await page.GetByLabel("User").FillAsync("lucy");
        await page.GetByLabel("Password").FillAsync(ConsoleCluster.UserPassword);
        await page.GetByRole(AriaRole.Button, new() { Name = "Log in" }).ClickAsync();
        await Expect(page.GetByTestId("login-error")).ToContainTextAsync("locked");
        await Expect(page.GetByTestId("login-error")).ToContainTextAsync("ask an admin to unlock");
        await ConsoleCluster.ScreenshotAsync(page, "login-locked");
        await page.Context.CloseAsync();
    }

    [Fact]
    public async Task Logout_EndsTheSession_AndThePageAsksForLoginAgain()
    {
        var page = await cluster.LoginAsync(ConsoleCluster.ViewerUser, ConsoleCluster.UserPassword);
        await page.GetByRole(AriaRole.Button, new() { Name = "Log out" }).ClickAsync();
        await Expect(page.GetByText("You are logged out.")).ToBeVisibleAsync();
        Assert.DoesNotContain(await page.Context.CookiesAsync(), c => c.Name == "gatehouse_session");
        await page.GotoAsync("/");
        await page.GetByLabel("User").WaitForAsync();
        Assert.EndsWith("/login", new Uri(page.Url).AbsolutePath);
        await page.Context.CloseAsync();
    }
}
