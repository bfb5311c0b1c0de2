using System.Net.Http.Json;
using System.Text.Json;
using Gatehouse.Sdk.Signing;

namespace Gatehouse.Console.Tests.Infrastructure;

/// <summary>Helpers of the routing, policy and app tests: what the gateways and the API actually do.</summary>
public sealed partial class ConsoleCluster
{
    /// <summary>Waits until gw-1 and gw-2 both applied the group's latest version; returns it.</summary>
    public async Task<long> WaitGatewaysAppliedAsync()
    {
        var version = await AdminVersionAsync();
        foreach (var gateway in Gateways)
        {
            await WaitAsync(async () => await GatewayVersionAsync(gateway.ControlPort) >= version, $"{gateway.NodeId} applied version {version}");
        }

        return version;
    }

    /// <summary>
    /// A GET through a gateway's traffic port: the status and the body (a counting backend answers its id); signed as
    /// <paramref name="appKey"/> when given, naming its service in the <c>serviceName</c> header when given.
    /// </summary>
    public async Task<(int Status, string Body)> GatewayGetAsync(int port, string path, string? appKey = null, string? secret = null,
        string? serviceName = null)
    {
        using var client = appKey is null
            ? new HttpClient()
            : new HttpClient(new GatehouseSigningHandler(new GatehouseSigner(appKey, secret!)) { InnerHandler = new SocketsHttpHandler() });
        client.Timeout = TimeSpan.FromSeconds(10);
        using var request = new HttpRequestMessage(HttpMethod.Get, $"http://127.0.0.1:{port}{path}");
        if (serviceName is not null)
        {
            request.Headers.Add("serviceName", serviceName);
        }

        using var response = await client.SendAsync(request);
        return ((int)response.StatusCode, await response.Content.ReadAsStringAsync());
    }

    /// <summary>The group's global policy resource (<c>{ revision, policy }</c>).</summary>
    public Task<JsonElement> GlobalPolicyAsync() => Admin.GetFromJsonAsync<JsonElement>($"/api/v1/groups/{Group}/global-policy");

    /// <summary>The newest audit rows about <paramref name="entityId"/> in the test group.</summary>
    public async Task<List<JsonElement>> AuditAsync(string entityId)
    {
        var page = await Admin.GetFromJsonAsync<JsonElement>($"/api/v1/audit?group={Group}&entity={Uri.EscapeDataString(entityId)}&limit=20");
        return page.GetProperty("items").EnumerateArray().ToList();
    }
}
