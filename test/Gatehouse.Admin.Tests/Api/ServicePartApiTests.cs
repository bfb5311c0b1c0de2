using System.Net;
using System.Text.Json;
using Gatehouse.Admin.Tests.Infrastructure;

namespace Gatehouse.Admin.Tests.Api;

public abstract class ServicePartApiTests(AdminFixture fixture)
{
    private AdminHost Host => fixture.Host;

    private async Task<string> GroupWithOrdersAsync()
    {
        var group = await Host.CreateGroupAsync();
        await (await Host.Client.PostAsync($"/api/v1/groups/{group}/services", AdminHost.Json(Http.Service("orders"))))
            .ReadJsonAsync(HttpStatusCode.Created);
        return group;
    }

    private Task<HttpResponseMessage> SendAsync(HttpMethod method, string url, string? body, long revision) =>
        Host.Client.SendAsync(new HttpRequestMessage(method, url) { Content = body is null ? null : AdminHost.Json(body) }.WithRevision(revision));

    private static string[] Ids(JsonElement resource, string list) =>
        resource.GetProperty("service").GetProperty(list).EnumerateArray().Select(e => e.GetProperty("id").GetString()!).ToArray();

    [Fact]
    public async Task Node_AddReplaceDelete_EachANewVersionAndRevision()
    {
        var group = await GroupWithOrdersAsync();
        var url = $"/api/v1/groups/{group}/services/orders/nodes/orders-2";

        var added = await (await SendAsync(HttpMethod.Put, url, """{"address":"http://127.0.0.1:5102","weight":50}""", 1))
            .ReadJsonAsync(HttpStatusCode.OK);
        Assert.Equal(["orders-1", "orders-2"], Ids(added, "nodes"));
        Assert.Equal(2, added.GetProperty("revision").GetInt64());

        var replaced = await (await SendAsync(HttpMethod.Put, url, """{"id":"orders-2","address":"http://127.0.0.1:5103"}""", 2))
            .ReadJsonAsync(HttpStatusCode.OK);
        Assert.Equal("http://127.0.0.1:5103", replaced.GetProperty("service").GetProperty("nodes")[1].GetProperty("address").GetString());

        var deleted = await (await SendAsync(HttpMethod.Delete, url, null, 3)).ReadJsonAsync(HttpStatusCode.OK);
        Assert.Equal(["orders-1"], Ids(deleted, "nodes"));
        Assert.Equal(5, await Host.VersionCountAsync(group)); // group + service + three node writes
    }

    [Fact]
    public async Task Api_AddReplaceDelete()
    {
        var group = await GroupWithOrdersAsync();
        var url = $"/api/v1/groups/{group}/services/orders/apis/get-order";

        var added = await (await SendAsync(HttpMethod.Put, url, """{"methods":["GET"],"path":"/orders/{id}"}""", 1))
            .ReadJsonAsync(HttpStatusCode.OK);
        Assert.Equal(["list", "get-order"], Ids(added, "apis"));

        var replaced = await (await SendAsync(HttpMethod.Put, url, """{"id":"get-order","path":"/orders/{id}/full"}""", 2))
            .ReadJsonAsync(HttpStatusCode.OK);
        Assert.Equal("/orders/{id}/full", replaced.GetProperty("service").GetProperty("apis")[1].GetProperty("path").GetString());

        var deleted = await (await SendAsync(HttpMethod.Delete, url, null, 3)).ReadJsonAsync(HttpStatusCode.OK);
        Assert.Equal(["list"], Ids(deleted, "apis"));
    }

    [Fact]
    public async Task Api_GrpcTranscoding_DescriptorSetStoredAsBase64_BadBase64Named()
    {
        // The admin keeps the FileDescriptorSet in the API itself, base64-encoded: it is published with the config, so
        // every gateway of the group gets the same bytes without a file to copy.
        var group = await GroupWithOrdersAsync();
        var url = $"/api/v1/groups/{group}/services/orders/apis/rpc";
        const string Set = "CgV4LnByb3Rv"; // a FileDescriptorSet of one empty file, x.proto
        var added = await (await SendAsync(HttpMethod.Put, url,
            $$$"""{"path":"/v1/**","protocol":"grpcTranscoding","grpcTranscoding":{"descriptorSetBase64":"{{{Set}}}","rules":[{"selector":"x.S.M","post":"/v1/m","body":"*"}]}}""", 1))
            .ReadJsonAsync(HttpStatusCode.OK);
        var api = added.GetProperty("service").GetProperty("apis")[1];
        Assert.Equal("grpcTranscoding", api.GetProperty("protocol").GetString());
        Assert.Equal(Set, api.GetProperty("grpcTranscoding").GetProperty("descriptorSetBase64").GetString());

        var bad = await SendAsync(HttpMethod.Put, url, """{"path":"/v1/**","protocol":"grpcTranscoding","grpcTranscoding":{"descriptorSetBase64":"%%%"}}""", 2);
        var errors = (await bad.ReadProblemAsync(HttpStatusCode.BadRequest)).GetProperty("errors");
        Assert.True(errors.TryGetProperty("services[orders].apis[rpc].grpcTranscoding.descriptorSetBase64", out _), errors.ToString());
    }

    [Fact]
    public async Task Put_InvalidField_NamedAndNothingChanges()
    {
        var group = await GroupWithOrdersAsync();
        var response = await SendAsync(HttpMethod.Put, $"/api/v1/groups/{group}/services/orders/apis/bad", """{"path":"no-slash"}""", 1);

        var errors = (await response.ReadProblemAsync(HttpStatusCode.BadRequest)).GetProperty("errors");
        Assert.True(errors.TryGetProperty("services[orders].apis[bad].path", out _), errors.ToString());
        Assert.Equal(2, await Host.VersionCountAsync(group));
    }

    [Fact]
    public async Task StaleRevision_409_UnknownPart_404_IdMismatch_400()
    {
        var group = await GroupWithOrdersAsync();
        var baseUrl = $"/api/v1/groups/{group}/services/orders";

        await (await SendAsync(HttpMethod.Put, $"{baseUrl}/nodes/orders-1", """{"address":"http://127.0.0.1:5109"}""", 7))
            .ReadProblemAsync(HttpStatusCode.Conflict);
        await (await SendAsync(HttpMethod.Delete, $"{baseUrl}/nodes/nope", null, 1)).ReadProblemAsync(HttpStatusCode.NotFound);
        await (await SendAsync(HttpMethod.Delete, $"{baseUrl}/apis/nope", null, 1)).ReadProblemAsync(HttpStatusCode.NotFound);
        var mismatch = await SendAsync(HttpMethod.Put, $"{baseUrl}/apis/a", """{"id":"b","path":"/b"}""", 1);
        Assert.True((await mismatch.ReadProblemAsync(HttpStatusCode.BadRequest)).GetProperty("errors").TryGetProperty("id", out _));

        var noRevision = await Host.Client.PutAsync($"{baseUrl}/apis/a", AdminHost.Json("""{"path":"/a"}"""));
        await noRevision.ReadProblemAsync((HttpStatusCode)428);
        Assert.Equal(2, await Host.VersionCountAsync(group));
    }
}

public sealed class ServicePartApiTestsSqlite(SqliteAdmin fixture) : ServicePartApiTests(fixture), IClassFixture<SqliteAdmin>;

[Collection(PostgresCollection.Name)]
public sealed class ServicePartApiTestsPostgres(PostgresAdmin fixture) : ServicePartApiTests(fixture), IClassFixture<PostgresAdmin>;
