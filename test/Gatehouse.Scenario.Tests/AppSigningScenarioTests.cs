using System.Net;
using Gatehouse.Sdk.Signing;

namespace Gatehouse.Scenario.Tests;

/// <summary>
/// An app created through the admin API signs requests that a separate gateway process accepts: the secret travels
/// from the admin's encrypted store to the gateway only sealed under the shared control secret.
/// </summary>
public sealed class AppSigningScenarioTests
{
    private const string AppSecret = "scenario-app-secret-0123456789";

    [Fact]
    public async Task AppCreatedInAdmin_SignedRequestPassesGateway_UnsignedAndWrongSecretRefused()
    {
        await using var cluster = await ScenarioCluster.StartAsync();
        var demoPort = GatehouseProcess.FreePort();
        cluster.StartProcess("demo", "demo", "--service", "orders", "--port", demoPort.ToString(), "--node", "orders-1");
        await cluster.WaitAsync(async () => await cluster.StatusAsync(cluster.Client, $"http://127.0.0.1:{demoPort}/healthz") == HttpStatusCode.OK,
            "demo up");

        await cluster.CreateGroupAsync("default");
        const string signed = """{"auth":{"sign":{}}}""";
        var service = $$"""
            {"name":"orders","policy":{{signed}},
             "nodes":[{"id":"orders-1","address":"http://127.0.0.1:{{demoPort}}"}],"apis":[{"id":"all","path":"/**"}]}
            """;
        using (var created = await cluster.Admin.PostAsync("/api/v1/groups/default/services", ScenarioCluster.Json(service)))
        {
            Assert.True(created.StatusCode == HttpStatusCode.Created, await created.Content.ReadAsStringAsync());
        }

        using (var app = await cluster.Admin.PutAsync("/api/v1/groups/default/apps/billing",
            ScenarioCluster.Json($$"""{"secret":"{{AppSecret}}","permissions":["orders"]}""")))
        {
            Assert.True(app.StatusCode == HttpStatusCode.Created, await app.Content.ReadAsStringAsync());
        }

        var gateway = cluster.StartGateway("default", "gw-apps", TimeSpan.FromSeconds(10));
        await cluster.WaitReadyAsync("default", gateway, await cluster.AdminVersionAsync("default"));

        Assert.Equal(HttpStatusCode.OK, await SendAsync(cluster, gateway, new GatehouseSigner("billing", AppSecret)));
        Assert.Equal(HttpStatusCode.Unauthorized, await SendAsync(cluster, gateway, new GatehouseSigner("billing", "not-the-secret-of-billing")));
        Assert.Equal(HttpStatusCode.Unauthorized, await SendAsync(cluster, gateway, signer: null));

        // The gateway's local snapshot file holds the sealed form only.
        var snapshot = await File.ReadAllTextAsync(Path.Combine(cluster.DataDirectory, "snapshot-gw-apps.json"));
        Assert.Contains("enc:v1:", snapshot, StringComparison.Ordinal);
        Assert.DoesNotContain(AppSecret, snapshot, StringComparison.Ordinal);
    }

    private static async Task<HttpStatusCode> SendAsync(ScenarioCluster cluster, ScenarioGateway gateway, GatehouseSigner? signer)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, $"http://127.0.0.1:{gateway.Port}/orders/1");
        request.Headers.Add("serviceName", "orders");
        signer?.Sign(request, [], DateTimeOffset.UtcNow.ToUnixTimeMilliseconds(), Guid.NewGuid().ToString("N"));
        using var response = await cluster.Client.SendAsync(request);
        return response.StatusCode;
    }
}
