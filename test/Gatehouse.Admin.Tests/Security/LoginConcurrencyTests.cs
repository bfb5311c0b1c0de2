using System.Net;
using Gatehouse.Admin.Storage;
using Gatehouse.Admin.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace Gatehouse.Admin.Tests.Security;

/// <summary>
/// Lockout under concurrency: however many wrong-password logins for one user arrive at once, and on however many admin
/// processes sharing the store, at most the threshold (5) of them get a password check per lockout window.
/// </summary>
public abstract class LoginConcurrencyTests(AdminFixture fixture)
{
    private const int Threshold = 5;

    [Fact]
    public async Task HundredConcurrentWrongPasswords_OnTwoAdmins_AtMostThresholdChecks_ThenLocked()
    {
        await using var admin = await fixture.StartAdminAsync();
        var sibling = await admin.StartSiblingAsync();
        try
        {
            var (name, password) = await admin.CreateUserAsync("operator");
            var start = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            var attempts = Enumerable.Range(0, 100)
                .Select(i => Task.Run(async () =>
                {
                    await start.Task;
                    return (await (i % 2 == 0 ? admin : sibling).LoginAsync(name, "wrong-password-" + i)).Response.StatusCode;
                }))
                .ToArray();
            start.SetResult();
            var statuses = await Task.WhenAll(attempts);

            Assert.All(statuses, s => Assert.Equal(HttpStatusCode.Unauthorized, s));
            var rows = await LoginRowsAsync(admin, name);
            Assert.InRange(rows.Count(IsFailedCheck), 1, Threshold);
            Assert.Single(rows, r => r.Action == "login.lockout");
            Assert.Equal(100, rows.Count); // every attempt is audited, checked or not

            // Locked now: the right password is refused without a check, and told so.
            var (locked, _, body) = await admin.LoginAsync(name, password);
            Assert.Equal(HttpStatusCode.Unauthorized, locked.StatusCode);
            Assert.Equal("locked", body.GetProperty("code").GetString());
        }
        finally
        {
            await sibling.StopAsync();
        }
    }

    [Fact]
    public async Task RightPasswordDuringAFlood_SucceedsOnlyWithinTheThreshold()
    {
        await using var admin = await fixture.StartAdminAsync();
        var sibling = await admin.StartSiblingAsync();
        try
        {
            var (name, password) = await admin.CreateUserAsync("operator");
            var start = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            var wrong = Enumerable.Range(0, 60)
                .Select(i => Task.Run(async () =>
                {
                    await start.Task;
                    return (await (i % 2 == 0 ? admin : sibling).LoginAsync(name, "wrong-password-" + i)).Response.StatusCode;
                }))
                .ToArray();
            var right = Enumerable.Range(0, 4)
                .Select(i => Task.Run(async () =>
                {
                    await start.Task;
                    await Task.Delay(i * 40);
                    return (await (i % 2 == 0 ? sibling : admin).LoginAsync(name, password)).Response.StatusCode;
                }))
                .ToArray();
            start.SetResult();
            await Task.WhenAll(wrong);
            var rightStatuses = await Task.WhenAll(right);

            // Oldest first. A success starts a new window.
            var rows = await LoginRowsAsync(admin, name);
            var successes = rows.Count(r => r.Action == "login.success");
            Assert.Equal(successes, rightStatuses.Count(s => s == HttpStatusCode.OK));
            Assert.All(rightStatuses, s => Assert.True(s is HttpStatusCode.OK or HttpStatusCode.Unauthorized, $"got {s}"));
            var failedChecks = rows.Count(IsFailedCheck);
            Assert.True(failedChecks <= Threshold * (successes + 1), $"{failedChecks} failed checks with {successes} successes");

            // A success never follows a full window of failures: before the first one at most threshold - 1 failed.
            var firstSuccess = rows.FindIndex(r => r.Action == "login.success");
            if (firstSuccess >= 0)
            {
                Assert.True(rows.Take(firstSuccess).Count(IsFailedCheck) < Threshold, string.Join(", ", rows));
            }
        }
        finally
        {
            await sibling.StopAsync();
        }
    }

    [Fact]
    public async Task ChecksLeftRunningForever_DoNotStrandTheUser_TheNextAttemptLocksItForTheLockoutDuration()
    {
        await using var admin = await fixture.StartAdminAsync();
        var (name, password) = await admin.CreateUserAsync("operator");

        // As if five admin processes had reserved checks and died before writing their outcome.
        using (var scope = admin.GetService<IServiceScopeFactory>().CreateScope())
        {
            var db = scope.ServiceProvider.GetRequiredService<AdminDbContext>();
            await db.Users.Where(u => u.Name == name).ExecuteUpdateAsync(set => set.SetProperty(u => u.FailedLogins, Threshold));
        }

        // The window is used up and nothing will finish it: the next attempt locks, so the lock expires or an admin
        // unlocks, instead of the user being refused with no end.
        var (first, _, body) = await admin.LoginAsync(name, password);
        Assert.Equal(HttpStatusCode.Unauthorized, first.StatusCode);
        Assert.Equal("locked", body.GetProperty("code").GetString());
        Assert.Equal(HttpStatusCode.OK, (await admin.Client.PostAsync($"/api/v1/users/{name}/unlock", null)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await admin.LoginAsync(name, password)).Response.StatusCode);
    }

    /// <summary>A password check that failed: its row (failure or the lockout it caused) says "wrong password".</summary>
    private static bool IsFailedCheck((string Action, string? Reason) row) => row.Reason?.StartsWith("wrong password", StringComparison.Ordinal) == true;

    /// <summary>The action and reason of <paramref name="user"/>'s login rows, oldest first.</summary>
    private static async Task<List<(string Action, string? Reason)>> LoginRowsAsync(AdminHost admin, string user)
    {
        var page = await (await admin.Client.GetAsync($"/api/v1/audit?entity={user}&limit=500")).ReadJsonAsync(HttpStatusCode.OK);
        return page.GetProperty("items").EnumerateArray()
            .Where(r => r.GetProperty("entityKind").GetString() == "login")
            .Select(r => (r.GetProperty("action").GetString()!, r.GetProperty("after").GetProperty("reason").GetString()))
            .Reverse()
            .ToList();
    }
}

public sealed class LoginConcurrencyTestsSqlite(SqliteAdmin fixture) : LoginConcurrencyTests(fixture), IClassFixture<SqliteAdmin>;

[Collection(PostgresCollection.Name)]
public sealed class LoginConcurrencyTestsPostgres(PostgresAdmin fixture) : LoginConcurrencyTests(fixture), IClassFixture<PostgresAdmin>;
