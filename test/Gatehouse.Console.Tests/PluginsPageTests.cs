using System.IO.Compression;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Gatehouse.Console.Tests.Infrastructure;
using Gatehouse.Core.Security;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace Gatehouse.Console.Tests;

/// <summary>The plugins page: an admin uploads a package, which is listed with its hash; the problems gateways report are shown.</summary>
[Collection(ConsoleCollection.Name)]
public sealed class PluginsPageTests(ConsoleCluster cluster)
{
    [Fact]
    public async Task Admin_UploadsPackage_ListedWithItsHash_GatewayPluginProblemsShown_ViewerCannotUpload()
    {
        // A problem as a gateway reports it with its heartbeat, in a group of its own so the cluster's gateways are untouched.
        var group = "plugins-" + Guid.NewGuid().ToString("N")[..6];
        await cluster.PostAsync("/api/v1/groups", new { name = group });
        await HeartbeatAsync(group, "gw-plugins", new { folder = "admin:audit", state = "failed", error = "package 1c2d3e4f5a6b: refused by hash" });

        var zip = Zip("stamp-v1");
        var sha = Convert.ToHexStringLower(SHA256.HashData(zip));
        var page = await cluster.LoginAsync("admin", ConsoleCluster.AdminPassword, "/plugins");
        var form = page.GetByTestId("upload-plugin");
        await form.GetByLabel("Zip of the plugin's folder").SetInputFilesAsync(new FilePayload { Name = "stamp.zip", MimeType = "application/zip", Buffer = zip });
        await form.GetByRole(AriaRole.Button, new() { Name = "Upload" }).ClickAsync();

        await Expect(page.GetByTestId("plugins-notice")).ToContainTextAsync($"Uploaded stamp {sha[..12]}");
        await Expect(page.GetByTestId("plugin-row-stamp")).ToContainTextAsync(sha[..12]);
        var listed = await cluster.Admin.GetFromJsonAsync<JsonElement>("/api/v1/plugins");
        Assert.Contains(listed.EnumerateArray(), p => p.GetProperty("name").GetString() == "stamp" && p.GetProperty("sha256").GetString() == sha);
        await Expect(page.GetByTestId("plugin-problem").Filter(new() { HasText = "gw-plugins" })).ToContainTextAsync("refused by hash",
            new() { Timeout = 15_000 });
        await ConsoleCluster.ScreenshotAsync(page, "plugins");

        // A bad package is refused with the API's reason next to the field.
        await form.GetByLabel("Zip of the plugin's folder").SetInputFilesAsync(new FilePayload { Name = "bad.zip", MimeType = "application/zip", Buffer = "not a zip"u8.ToArray() });
        await form.GetByRole(AriaRole.Button, new() { Name = "Upload" }).ClickAsync();
        await Expect(form.Locator(".field-error")).ToContainTextAsync("not a valid zip");
        await page.Context.CloseAsync();

        var viewer = await cluster.LoginAsync(ConsoleCluster.ViewerUser, ConsoleCluster.UserPassword, "/plugins");
        await Expect(viewer.GetByTestId("plugin-row-stamp")).ToBeVisibleAsync();
        await Expect(viewer.GetByTestId("upload-plugin")).ToHaveCountAsync(0);
        await viewer.Context.CloseAsync();
    }

    private async Task HeartbeatAsync(string group, string node, object problem)
    {
        var body = JsonSerializer.SerializeToUtf8Bytes(new { nodeId = node, group, controlAddress = "http://127.0.0.1:9", version = 1, checksum = "", plugins = new[] { problem } });
        const string path = "/api/v1/gateway/heartbeat";
        var timestamp = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        using var request = new HttpRequestMessage(HttpMethod.Post, cluster.AdminUrl + path) { Content = new ByteArrayContent(body) };
        request.Content.Headers.ContentType = new("application/json");
        request.Headers.Add(ControlSignature.TimestampHeader, timestamp.ToString(System.Globalization.CultureInfo.InvariantCulture));
        request.Headers.Add(ControlSignature.SignatureHeader, ControlSignature.Sign(ConsoleCluster.Secret, timestamp, "POST", path, body));
        using var response = await cluster.Client.SendAsync(request);
        Assert.True(response.IsSuccessStatusCode, Encoding.UTF8.GetString(await response.Content.ReadAsByteArrayAsync()));
    }

    private static byte[] Zip(string folder)
    {
        using var buffer = new MemoryStream();
        ZipFile.CreateFromDirectory(Path.Combine(AppContext.BaseDirectory, "test-plugins", folder), buffer);
        return buffer.ToArray();
    }
}
