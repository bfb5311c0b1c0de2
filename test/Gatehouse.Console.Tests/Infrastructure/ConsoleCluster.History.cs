using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Gatehouse.Console.Tests.Infrastructure;

/// <summary>What the history and gray config tests need: services of their own, routes through one gateway, cleanup.</summary>
public sealed partial class ConsoleCluster
{
    /// <summary>A service (JSON) named <paramref name="name"/> answering <c>/{name}/**</c> from the stock-1 backend.</summary>
    public JsonObject ExtraService(string name) => new()
    {
        ["name"] = name,
        ["nodes"] = new JsonArray(new JsonObject { ["id"] = name + "-1", ["address"] = _backends["stock-1"].Address, ["loc"] = "dc1" }),
        ["apis"] = new JsonArray(new JsonObject { ["id"] = "all", ["path"] = $"/{name}/**" }),
    };

    /// <summary>Creates <see cref="ExtraService"/> through the REST API; the group version it published.</summary>
    public async Task<long> AddServiceAsync(string name)
    {
        await PostAsync($"/api/v1/groups/{Group}/services", ExtraService(name));
        return await AdminVersionAsync();
    }

    /// <summary>Deletes a service of the test's own, if it exists, quoting its current revision.</summary>
    public async Task DeleteServiceIfPresentAsync(string name)
    {
        using var get = await Admin.GetAsync($"/api/v1/groups/{Group}/services/{name}");
        if (get.StatusCode == HttpStatusCode.NotFound)
        {
            return;
        }

        var revision = (await get.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("revision").GetInt64();
        using var request = new HttpRequestMessage(HttpMethod.Delete, $"/api/v1/groups/{Group}/services/{name}");
        request.Headers.IfMatch.Add(new EntityTagHeaderValue($"\"{revision}\""));
        using var deleted = await Admin.SendAsync(request);
        Assert.True(deleted.IsSuccessStatusCode, $"delete {name}: {(int)deleted.StatusCode} {await deleted.Content.ReadAsStringAsync()}");
    }

    /// <summary>Drops the group's gray config if one is active, so a failed gray test leaves the group as it found it.</summary>
    public async Task DropGrayIfActiveAsync()
    {
        using var response = await Admin.DeleteAsync($"/api/v1/groups/{Group}/gray");
        Assert.True(response.IsSuccessStatusCode || response.StatusCode == HttpStatusCode.NotFound, await response.Content.ReadAsStringAsync());
    }

    /// <summary>The group's current config as export returns it.</summary>
    public async Task<JsonObject> ExportAsync() =>
        JsonNode.Parse(await Admin.GetStringAsync($"/api/v1/groups/{Group}/export"))!.AsObject();

    /// <summary>
    /// The status of GET <c>/{service}/x</c> naming <paramref name="service"/> (the <c>serviceName</c> query parameter)
    /// through the gateway listening on <paramref name="port"/>: 200 from the backend once the gateway runs a config with it.
    /// </summary>
    public async Task<HttpStatusCode> ServiceStatusAsync(int port, string service)
    {
        try
        {
            using var response = await Client.GetAsync($"http://127.0.0.1:{port}/{service}/x?serviceName={Uri.EscapeDataString(service)}");
            return response.StatusCode;
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
        {
            return 0;
        }
    }

    /// <summary>Waits until every gateway has applied <paramref name="version"/> or later.</summary>
    public async Task WaitForAllGatewaysAsync(long version)
    {
        foreach (var gateway in Gateways)
        {
            await WaitAsync(async () => await GatewayVersionAsync(gateway.ControlPort) >= version, $"{gateway.NodeId} applied version {version}");
        }
    }
}
