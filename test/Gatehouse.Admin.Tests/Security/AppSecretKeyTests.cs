using System.Net;
using System.Text.Json;
using Gatehouse.Admin.Tests.Infrastructure;
using Gatehouse.Core.Security;

namespace Gatehouse.Admin.Tests.Security;

/// <summary>The master key of app secrets at rest: the generated key file, and what a different key does (SQLite: the file is the store).</summary>
public sealed class AppSecretKeyTests
{
    private const string AppSecret = "secret-of-app-a-0123456789";

    [Fact]
    public async Task KeyFile_GeneratedOwnerOnlyOnFirstUse_AndReusedAfterRestart()
    {
        var first = await AdminHost.StartAsync();
        var keyFile = Path.Combine(first.Directory, "data", "secret-key");
        try
        {
            var group = await first.CreateGroupAsync();
            Assert.False(File.Exists(keyFile), "no key is made before an app secret needs one");
            await PutAppAsync(first, group, $$"""{"secret":"{{AppSecret}}"}""", null, HttpStatusCode.Created);

            Assert.True(File.Exists(keyFile));
            Assert.Equal(32, Convert.FromBase64String(File.ReadAllText(keyFile).Trim()).Length);
            if (!OperatingSystem.IsWindows())
            {
                Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(keyFile));
            }

            Assert.Contains(first.Logs.Messages, m => m.Contains(keyFile, StringComparison.Ordinal) && m.Contains("Back it up", StringComparison.Ordinal));
            await first.StopAsync();

            // A restart on the same data directory reads the same key: a write that must decrypt the stored secret works.
            await using var second = await AdminHost.StartAsync(directory: first.Directory);
            await PutAppAsync(second, group, """{"description":"edited"}""", 1, HttpStatusCode.OK);
            Assert.Equal(AppSecret, await PublishedSecretAsync(second, group));
        }
        finally
        {
            // The second admin removes the directory when it is disposed; this is for a test that failed before it started.
            if (Directory.Exists(first.Directory))
            {
                Directory.Delete(first.Directory, recursive: true);
            }
        }
    }

    [Fact]
    public async Task DifferentMasterKey_WritesFailNamingTheApp_UntilItsSecretIsSetAgain()
    {
        var keyA = Convert.ToBase64String(Enumerable.Repeat((byte)1, 32).ToArray());
        var keyB = Convert.ToBase64String(Enumerable.Repeat((byte)2, 32).ToArray());
        var first = await AdminHost.StartAsync(settings: new Dictionary<string, string?> { ["Gatehouse:Admin:SecretKey"] = keyA });
        try
        {
            var group = await first.CreateGroupAsync();
            await PutAppAsync(first, group, $$"""{"secret":"{{AppSecret}}"}""", null, HttpStatusCode.Created);
            Assert.False(File.Exists(Path.Combine(first.Directory, "data", "secret-key")), "a configured key needs no key file");
            await first.StopAsync();

            await using var second = await AdminHost.StartAsync(directory: first.Directory,
                settings: new Dictionary<string, string?> { ["Gatehouse:Admin:SecretKey"] = keyB });
            var versions = await second.VersionCountAsync(group);
            var problem = await (await second.Client.PostAsync($"/api/v1/groups/{group}/services", AdminHost.Json(Http.Service("orders"))))
                .ReadProblemAsync(HttpStatusCode.InternalServerError);
            Assert.Contains("app 'app-a'", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
            Assert.Equal(versions, await second.VersionCountAsync(group));

            // Reads still work (they never decrypt), and setting the secret again recovers the group.
            var app = await (await second.Client.GetAsync($"/api/v1/groups/{group}/apps/app-a")).ReadJsonAsync(HttpStatusCode.OK);
            Assert.True(app.GetProperty("secretSet").GetBoolean());
            await PutAppAsync(second, group, """{"secret":"a-new-secret-0123456789"}""", 1, HttpStatusCode.OK);
            await (await second.Client.PostAsync($"/api/v1/groups/{group}/services", AdminHost.Json(Http.Service("orders"))))
                .ReadJsonAsync(HttpStatusCode.Created);
        }
        finally
        {
            // The second admin removes the directory when it is disposed; this is for a test that failed before it started.
            if (Directory.Exists(first.Directory))
            {
                Directory.Delete(first.Directory, recursive: true);
            }
        }
    }

    [Theory]
    [InlineData("c2hvcnQ=", "32 are required")]
    [InlineData("not base64!", "is not base64")]
    public async Task MalformedConfiguredKey_StopsTheStart(string key, string reason)
    {
        var error = await Assert.ThrowsAsync<InvalidOperationException>(() =>
            AdminHost.StartAsync(settings: new Dictionary<string, string?> { ["Gatehouse:Admin:SecretKey"] = key }));

        Assert.Contains(reason, error.Message, StringComparison.Ordinal);
        Assert.Contains("Gatehouse:Admin:SecretKey", error.Message, StringComparison.Ordinal);
    }

    private static async Task PutAppAsync(AdminHost host, string group, string body, long? revision, HttpStatusCode expected)
    {
        var request = new HttpRequestMessage(HttpMethod.Put, $"/api/v1/groups/{group}/apps/app-a") { Content = AdminHost.Json(body) };
        if (revision is { } r)
        {
            request.WithRevision(r);
        }

        await (await host.Client.SendAsync(request)).ReadJsonAsync(expected);
    }

    private static async Task<string> PublishedSecretAsync(AdminHost host, string group)
    {
        var versions = await host.VersionCountAsync(group);
        var document = await (await host.Client.GetAsync($"/api/v1/groups/{group}/versions/{versions}")).ReadJsonAsync(HttpStatusCode.OK);
        var sealedSecret = document.GetProperty("config").GetProperty("apps")[0].GetProperty("secret").GetString()!;
        Assert.True(new AppSecretTransport(AdminHost.Secret).TryOpen("app-a", sealedSecret, out var secret));
        return secret;
    }
}
