using Gatehouse.Testing;
using System.Net;
using System.Text.Json;
using Gatehouse.Admin.Tests.Infrastructure;
using Gatehouse.Admin.Tests.Security;
using Gatehouse.Core.Plugins;

namespace Gatehouse.Admin.Tests.Plugins;

/// <summary>
/// <c>/api/v1/plugins</c>: uploads are checked (zip, size, paths, a factory) and stored with their sha256; a config version
/// that names an uploaded filter pins the package version it was written with; gateways download packages by sha256 over
/// the signed control channel. Each test starts its own admin: packages are global, and one filter name has one package.
/// </summary>
public abstract class PluginPackageApiTests(AdminFixture fixture)
{
    [Fact]
    public async Task Upload_ValidPackage_StoredWithSha256_ListedAndAudited()
    {
        await using var host = await fixture.StartAdminAsync();
        var zip = PluginZips.Of("stamp-v1");

        var created = await (await host.Client.PostAsync("/api/v1/plugins", PluginZips.Content(zip))).ReadJsonAsync(HttpStatusCode.Created);

        Assert.Equal("stamp", created.GetProperty("name").GetString());
        Assert.Equal(PluginPackage.Sha256(zip), created.GetProperty("sha256").GetString());
        Assert.Equal(zip.Length, created.GetProperty("size").GetInt64());
        Assert.Equal(["stamp"], created.GetProperty("factories").EnumerateArray().Select(f => f.GetString()!));
        Assert.False(string.IsNullOrEmpty(created.GetProperty("uploadedBy").GetString()));

        var list = await (await host.Client.GetAsync("/api/v1/plugins")).ReadJsonAsync(HttpStatusCode.OK);
        Assert.Equal("stamp", list[0].GetProperty("name").GetString());
        var versions = await (await host.Client.GetAsync("/api/v1/plugins/stamp")).ReadJsonAsync(HttpStatusCode.OK);
        Assert.Equal(1, versions.GetProperty("versions").GetArrayLength());
        var audit = await (await host.Client.GetAsync("/api/v1/audit")).ReadJsonAsync(HttpStatusCode.OK);
        Assert.Contains("plugin.upload", audit.ToString(), StringComparison.Ordinal);

        // The same bytes again are the same upload, not a second version.
        await (await host.Client.PostAsync("/api/v1/plugins", PluginZips.Content(zip))).ReadJsonAsync(HttpStatusCode.OK);
        await (await host.Client.GetAsync("/api/v1/plugins/unknown")).ReadProblemAsync(HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task Upload_BadPackages_400NamingTheProblem_NothingStored()
    {
        await using var host = await fixture.StartAdminAsync();
        var notPlugin = File.ReadAllBytes(typeof(Assert).Assembly.Location);
        var cases = new (string Query, byte[] Body, string Expected)[]
        {
            ("", "not a zip at all"u8.ToArray(), "not a valid zip"),
            ("?name=evil", TestZips.With(("../evil.dll", [1, 2, 3])), "climbs out of the package"),
            ("?name=evil", TestZips.With(("/etc/evil.dll", [1, 2, 3])), "absolute path"),
            ("?name=readme", TestZips.With(("readme.txt", "hello"u8.ToArray())), "holds no .dll"),
            ("?name=nofactory", TestZips.With(("nofactory.dll", notPlugin)), "has no public IGatewayPluginFactory"),
            ("?name=Bad_Name", PluginZips.Of("stamp-v1"), "lower case letters"),
        };

        foreach (var (query, body, expected) in cases)
        {
            var problem = await (await host.Client.PostAsync("/api/v1/plugins" + query, PluginZips.Content(body))).ReadProblemAsync(HttpStatusCode.BadRequest);
            Assert.Contains(expected, problem.ToString(), StringComparison.Ordinal);
        }

        var tooBig = new ByteArrayContent(new byte[(16 << 20) + 1]);
        tooBig.Headers.ContentType = new("application/zip");
        var big = await (await host.Client.PostAsync("/api/v1/plugins?name=big", tooBig)).ReadProblemAsync(HttpStatusCode.BadRequest);
        Assert.Contains("larger than", big.ToString(), StringComparison.Ordinal);

        var json = await (await host.Client.PostAsync("/api/v1/plugins", AdminHost.Json("{}"))).ReadProblemAsync(HttpStatusCode.BadRequest);
        Assert.Contains("application/zip", json.ToString(), StringComparison.Ordinal);

        Assert.Equal(0, (await (await host.Client.GetAsync("/api/v1/plugins")).ReadJsonAsync(HttpStatusCode.OK)).GetArrayLength());
    }

    [Fact]
    public async Task Upload_NotAdminRole_403_ViewerMayRead()
    {
        await using var host = await fixture.StartAdminAsync();
        var (op, _) = await host.ClientForRoleAsync("operator");
        var (viewer, _) = await host.ClientForRoleAsync("viewer");

        Assert.Equal(HttpStatusCode.Forbidden, (await op.PostAsync("/api/v1/plugins", PluginZips.Content(PluginZips.Of("stamp-v1")))).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await op.DeleteAsync("/api/v1/plugins/stamp")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await viewer.GetAsync("/api/v1/plugins")).StatusCode);
    }

    [Fact]
    public async Task ConfigVersion_PinsLatestUpload_LaterUploadDoesNotChangeIt_DeleteRefusedWhilePinned()
    {
        await using var host = await fixture.StartAdminAsync();
        var group = await host.CreateGroupAsync();

        // Unknown until uploaded: the admin validates with the built-ins and the uploaded packages.
        var service = """
            {"name":"orders","nodes":[{"id":"orders-1","address":"http://127.0.0.1:5101"}],
             "apis":[{"id":"get","path":"/orders","policy":{"filters":[{"name":"stamp"}]}}]}
            """;
        await (await host.Client.PostAsync($"/api/v1/groups/{group}/services", AdminHost.Json(service))).ReadProblemAsync(HttpStatusCode.BadRequest);

        var v1 = PluginZips.Of("stamp-v1");
        await (await host.Client.PostAsync("/api/v1/plugins", PluginZips.Content(v1))).ReadJsonAsync(HttpStatusCode.Created);
        await (await host.Client.PostAsync($"/api/v1/groups/{group}/services", AdminHost.Json(service))).ReadJsonAsync(HttpStatusCode.Created);
        var first = await LatestPinAsync(host, group);
        Assert.Equal(("stamp", PluginPackage.Sha256(v1)), first.Pin);

        var v2 = PluginZips.Of("stamp-v2");
        Assert.NotEqual(PluginPackage.Sha256(v1), PluginPackage.Sha256(v2));
        await (await host.Client.PostAsync("/api/v1/plugins", PluginZips.Content(v2))).ReadJsonAsync(HttpStatusCode.Created);
        Assert.Equal(2, (await (await host.Client.GetAsync("/api/v1/plugins/stamp")).ReadJsonAsync(HttpStatusCode.OK)).GetProperty("versions").GetArrayLength());

        // The version written before the upload still means v1.
        var stored = await (await host.Client.GetAsync($"/api/v1/groups/{group}/versions/{first.Version}")).ReadJsonAsync(HttpStatusCode.OK);
        Assert.Equal(PluginPackage.Sha256(v1), stored.GetProperty("config").GetProperty("plugins")[0].GetProperty("sha256").GetString());

        // Deleting while the latest version pins it is refused.
        var conflict = await (await host.Client.DeleteAsync("/api/v1/plugins/stamp")).ReadProblemAsync(HttpStatusCode.Conflict);
        Assert.Contains($"group '{group}' version {first.Version}", conflict.ToString(), StringComparison.Ordinal);

        // The next write pins the latest upload.
        var other = """{"name":"payments","nodes":[{"id":"payments-1","address":"http://127.0.0.1:5102"}]}""";
        await (await host.Client.PostAsync($"/api/v1/groups/{group}/services", AdminHost.Json(other))).ReadJsonAsync(HttpStatusCode.Created);
        Assert.Equal(PluginPackage.Sha256(v2), (await LatestPinAsync(host, group)).Pin.Sha256);

        // v1 is pinned by no config in force any more: it may go; v2 may not.
        var deleteV1 = await host.Client.DeleteAsync($"/api/v1/plugins/stamp?sha256={PluginPackage.Sha256(v1)}");
        Assert.True(deleteV1.StatusCode == HttpStatusCode.NoContent, await deleteV1.Content.ReadAsStringAsync());
        await (await host.Client.DeleteAsync("/api/v1/plugins/stamp")).ReadProblemAsync(HttpStatusCode.Conflict);

        // Once no config names the filter, the pins go and so may the package.
        var orders = await (await host.Client.GetAsync($"/api/v1/groups/{group}/services/orders")).ReadJsonAsync(HttpStatusCode.OK);
        var delete = await host.Client.SendAsync(new HttpRequestMessage(HttpMethod.Delete, $"/api/v1/groups/{group}/services/orders")
            .WithRevision(orders.GetProperty("revision").GetInt64()));
        Assert.True(delete.StatusCode == HttpStatusCode.NoContent, await delete.Content.ReadAsStringAsync());
        Assert.Null((await LatestPinAsync(host, group)).Pin.Name);
        Assert.Equal(HttpStatusCode.NoContent, (await host.Client.DeleteAsync("/api/v1/plugins/stamp")).StatusCode);
    }

    [Fact]
    public async Task Download_SignedBySha256_ServesTheBytes_UnsignedOrWrongSecret401()
    {
        await using var host = await fixture.StartAdminAsync();
        var zip = PluginZips.Of("stamp-v1");
        await (await host.Client.PostAsync("/api/v1/plugins", PluginZips.Content(zip))).ReadJsonAsync(HttpStatusCode.Created);
        var path = $"/api/v1/gateway/plugins/{PluginPackage.Sha256(zip)}";

        var ok = await host.Anonymous.SendAsync(AdminHost.Signed(HttpMethod.Get, path));
        Assert.Equal(HttpStatusCode.OK, ok.StatusCode);
        Assert.Equal("application/zip", ok.Content.Headers.ContentType?.MediaType);
        Assert.Equal(zip, await ok.Content.ReadAsByteArrayAsync());

        Assert.Equal(HttpStatusCode.Unauthorized, (await host.Anonymous.GetAsync(path)).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await host.Anonymous.SendAsync(AdminHost.Signed(HttpMethod.Get, path, secret: "wrong"))).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await host.Client.GetAsync(path)).StatusCode);
        var missing = $"/api/v1/gateway/plugins/{new string('0', 64)}";
        Assert.Equal(HttpStatusCode.NotFound, (await host.Anonymous.SendAsync(AdminHost.Signed(HttpMethod.Get, missing))).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await host.Anonymous.SendAsync(AdminHost.Signed(HttpMethod.Get, "/api/v1/gateway/plugins/xyz"))).StatusCode);
    }

    [Fact]
    public async Task GrayConfig_PinsNewUpload_NormalVersionKeepsOld()
    {
        await using var host = await fixture.StartAdminAsync();
        var group = await host.CreateGroupAsync();
        var v1 = PluginZips.Of("stamp-v1");
        await (await host.Client.PostAsync("/api/v1/plugins", PluginZips.Content(v1))).ReadJsonAsync(HttpStatusCode.Created);
        var service = """
            {"name":"orders","nodes":[{"id":"orders-1","address":"http://127.0.0.1:5101"}],
             "apis":[{"id":"get","path":"/orders","policy":{"filters":[{"name":"stamp"}]}}]}
            """;
        await (await host.Client.PostAsync($"/api/v1/groups/{group}/services", AdminHost.Json(service))).ReadJsonAsync(HttpStatusCode.Created);
        var v2 = PluginZips.Of("stamp-v2");
        await (await host.Client.PostAsync("/api/v1/plugins", PluginZips.Content(v2))).ReadJsonAsync(HttpStatusCode.Created);

        var exported = await (await host.Client.GetAsync($"/api/v1/groups/{group}/export")).Content.ReadAsStringAsync();
        var gray = await host.Client.PostAsync($"/api/v1/groups/{group}/gray",
            AdminHost.Json($$"""{"nodes":["node-b"],"force":true,"config":{{exported}}}"""));
        var grayVersion = (await gray.ReadJsonAsync(HttpStatusCode.Created)).GetProperty("version").GetInt64();

        var grayDoc = await (await host.Client.GetAsync($"/api/v1/groups/{group}/versions/{grayVersion}")).ReadJsonAsync(HttpStatusCode.OK);
        Assert.Equal(PluginPackage.Sha256(v2), grayDoc.GetProperty("config").GetProperty("plugins")[0].GetProperty("sha256").GetString());
        Assert.Equal(PluginPackage.Sha256(v1), (await LatestPinAsync(host, group)).Pin.Sha256);
    }

    /// <summary>The pin of the group's latest normal version (as a gateway not in a gray config pulls it).</summary>
    private static async Task<(long Version, (string? Name, string? Sha256) Pin)> LatestPinAsync(AdminHost host, string group)
    {
        var document = await (await host.Anonymous.SendAsync(AdminHost.Signed(HttpMethod.Get, $"/api/v1/gateway/config?group={group}")))
            .ReadJsonAsync(HttpStatusCode.OK);
        var version = document.GetProperty("version").GetInt64();
        return document.GetProperty("config").TryGetProperty("plugins", out var plugins) && plugins.ValueKind == JsonValueKind.Array
            ? (version, (plugins[0].GetProperty("name").GetString(), plugins[0].GetProperty("sha256").GetString()))
            : (version, (null, null));
    }
}

public sealed class PluginPackageApiTestsSqlite(SqliteAdmin fixture) : PluginPackageApiTests(fixture), IClassFixture<SqliteAdmin>;

[Collection(PostgresCollection.Name)]
public sealed class PluginPackageApiTestsPostgres(PostgresAdmin fixture) : PluginPackageApiTests(fixture), IClassFixture<PostgresAdmin>;
