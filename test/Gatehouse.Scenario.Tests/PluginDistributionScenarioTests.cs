using System.IO.Compression;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text.Json;
using Microsoft.Data.Sqlite;

namespace Gatehouse.Scenario.Tests;

/// <summary>
/// Plugin distribution with real processes, one admin and two gateways: a package uploaded to the admin and named by the
/// config is fetched and run by both gateways; a new version uploaded and put in a gray config for one gateway runs on
/// that gateway only; a package whose stored bytes were altered is refused by the other gateway's hash check, which
/// keeps serving its previous snapshot and reports the problem to the admin.
/// </summary>
public sealed class PluginDistributionScenarioTests
{
    private static readonly TimeSpan NoTimedPull = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task Upload_Distribute_GrayToOneGateway_TamperedPackageRefusedByHash()
    {
        await using var cluster = await ScenarioCluster.StartAsync();
        var demoPort = GatehouseProcess.FreePort();
        cluster.StartProcess("demo", "demo", "--service", "orders", "--port", demoPort.ToString(), "--node", "orders-1");
        await cluster.WaitAsync(async () => await cluster.StatusAsync(cluster.Client, $"http://127.0.0.1:{demoPort}/healthz") == HttpStatusCode.OK, "demo up");

        // Upload v1; the config naming `stamp` pins it.
        await cluster.CreateGroupAsync("a");
        var v1 = Zip("stamp-v1");
        await UploadAsync(cluster, v1);
        var service = $$$"""
            {"name":"orders","nodes":[{"id":"orders-1","address":"http://127.0.0.1:{{{demoPort}}}"}],
             "apis":[{"id":"all","path":"/**","policy":{"filters":[{"name":"stamp"}]}}]}
            """;
        using (var created = await cluster.Admin.PostAsync("/api/v1/groups/a/services", ScenarioCluster.Json(service)))
        {
            Assert.True(created.StatusCode == HttpStatusCode.Created, await created.Content.ReadAsStringAsync());
        }

        var a1 = cluster.StartGateway("a", "gw-a1", NoTimedPull);
        var a2 = cluster.StartGateway("a", "gw-a2", NoTimedPull);
        var normal = await cluster.AdminVersionAsync("a");
        await cluster.WaitReadyAsync("a", a1, normal);
        await cluster.WaitReadyAsync("a", a2, normal);
        Assert.Equal("v1", await StampAsync(cluster, a1));
        Assert.Equal("v1", await StampAsync(cluster, a2));

        // Upload v2 and gray it to gw-a2: the gray version pins v2, the normal one still pins v1.
        var v2 = Zip("stamp-v2");
        await UploadAsync(cluster, v2);
        var exported = await cluster.Admin.GetStringAsync("/api/v1/groups/a/export");
        long grayVersion;
        using (var gray = await cluster.Admin.PostAsync("/api/v1/groups/a/gray", ScenarioCluster.Json($$"""{"nodes":["gw-a2"],"config":{{exported}}}""")))
        {
            var text = await gray.Content.ReadAsStringAsync();
            Assert.True(gray.StatusCode == HttpStatusCode.Created, text);
            grayVersion = JsonDocument.Parse(text).RootElement.GetProperty("version").GetInt64();
        }

        await cluster.TimeUntilAppliedAsync(a2, grayVersion, DateTime.UtcNow, TimeSpan.FromSeconds(10));
        Assert.Equal("v2", await StampAsync(cluster, a2));
        await Task.Delay(TimeSpan.FromSeconds(1));
        Assert.Equal("v1", await StampAsync(cluster, a1));
        Assert.Equal(normal, await cluster.GatewayVersionAsync(a1));

        // The admin's stored copy of v2 is altered behind its back, then the gray config is promoted: gw-a2 keeps the v2 it
        // verified, gw-a1 fetches the altered bytes, refuses them by hash and keeps serving its previous snapshot.
        await TamperAsync(cluster, Sha256(v2));
        using (var promote = await cluster.Admin.PostAsync("/api/v1/groups/a/gray/promote", null))
        {
            Assert.True(promote.StatusCode == HttpStatusCode.OK, await promote.Content.ReadAsStringAsync());
        }

        var promoted = await cluster.AdminVersionAsync("a");
        await cluster.TimeUntilAppliedAsync(a2, promoted, DateTime.UtcNow, TimeSpan.FromSeconds(10));
        Assert.Equal("v2", await StampAsync(cluster, a2));
        await cluster.WaitAsync(() => Task.FromResult(a1.Process.Output.Contains("not the pinned one: refused", StringComparison.Ordinal)),
            "gw-a1 refuses the altered package");
        await cluster.WaitAsync(async () =>
        {
            var nodes = await cluster.Admin.GetFromJsonAsync<JsonElement>("/api/v1/groups/a/gateways");
            var node = nodes.EnumerateArray().Single(n => n.GetProperty("nodeId").GetString() == "gw-a1");
            return node.TryGetProperty("plugins", out var plugins) && plugins.ValueKind == JsonValueKind.Array
                && plugins.EnumerateArray().Any(p => p.GetProperty("folder").GetString() == "admin:stamp"
                    && p.GetProperty("error").GetString()!.Contains("refused", StringComparison.Ordinal));
        }, "the admin lists gw-a1's plugin problem");
        Assert.Equal(normal, await cluster.GatewayVersionAsync(a1));
        Assert.Equal("v1", await StampAsync(cluster, a1));
        Assert.False(a1.Process.HasExited || a2.Process.HasExited, cluster.Logs());
    }

    private static async Task UploadAsync(ScenarioCluster cluster, byte[] zip)
    {
        var content = new ByteArrayContent(zip);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/zip");
        using var response = await cluster.Admin.PostAsync("/api/v1/plugins", content);
        Assert.True(response.StatusCode == HttpStatusCode.Created, await response.Content.ReadAsStringAsync());
    }

    /// <summary>Flips a byte of the stored package in the admin's database file.</summary>
    private static async Task TamperAsync(ScenarioCluster cluster, string sha256)
    {
        await using var connection = new SqliteConnection($"Data Source={Path.Combine(cluster.DataDirectory, "admin.db")}");
        await connection.OpenAsync();
        using var read = connection.CreateCommand();
        read.CommandText = "SELECT content FROM plugin_packages WHERE sha256 = $sha";
        read.Parameters.AddWithValue("$sha", sha256);
        var content = (byte[])(await read.ExecuteScalarAsync())!;
        content[content.Length / 2] ^= 0xFF;
        using var write = connection.CreateCommand();
        write.CommandText = "UPDATE plugin_packages SET content = $content WHERE sha256 = $sha";
        write.Parameters.AddWithValue("$content", content);
        write.Parameters.AddWithValue("$sha", sha256);
        Assert.Equal(1, await write.ExecuteNonQueryAsync());
    }

    /// <summary>The <c>X-Plugin-Stamp</c> the gateway's <c>stamp</c> plugin set on a request through it.</summary>
    private static async Task<string?> StampAsync(ScenarioCluster cluster, ScenarioGateway gateway)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, $"http://127.0.0.1:{gateway.Port}/orders/1");
        request.Headers.Add("serviceName", "orders");
        using var response = await cluster.Client.SendAsync(request);
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"{gateway.NodeId}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
        return response.Headers.TryGetValues("X-Plugin-Stamp", out var values) ? values.Single() : null;
    }

    private static byte[] Zip(string folder)
    {
        using var buffer = new MemoryStream();
        ZipFile.CreateFromDirectory(Path.Combine(AppContext.BaseDirectory, "test-plugins", folder), buffer);
        return buffer.ToArray();
    }

    private static string Sha256(byte[] bytes) => Convert.ToHexStringLower(SHA256.HashData(bytes));
}
