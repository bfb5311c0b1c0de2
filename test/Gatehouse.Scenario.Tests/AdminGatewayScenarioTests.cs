using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;

namespace Gatehouse.Scenario.Tests;

/// <summary>
/// The control plane and the data plane as separate processes: a real admin (SQLite), a real gateway taking its
/// config from it, and a real demo backend, all started from the built <c>gatehouse</c> executable.
/// </summary>
public sealed class AdminGatewayScenarioTests : IAsyncLifetime
{
    private const string Token = "scenario-admin-token";
    private const string Secret = "scenario-control-secret";
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    private readonly string _dir = Directory.CreateTempSubdirectory("gatehouse-scenario-").FullName;
    private readonly List<GatehouseProcess> _processes = [];
    private readonly int _adminPort = GatehouseProcess.FreePort();
    private readonly int _demoPort = GatehouseProcess.FreePort();
    private readonly int _gatewayPort = GatehouseProcess.FreePort();
    private readonly int _controlPort = GatehouseProcess.FreePort();
    private HttpClient _admin = null!;
    private readonly HttpClient _client = new() { Timeout = TimeSpan.FromSeconds(10) };

    public async Task InitializeAsync()
    {
        _admin = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{_adminPort}"), Timeout = TimeSpan.FromSeconds(10) };
        _admin.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", Token);
        Start("demo", "demo", "--service", "orders", "--port", _demoPort.ToString(), "--node", "orders-1");
        StartAdmin();
        await WaitAsync(async () => (await TryGetAsync(_admin, "/healthz")) == HttpStatusCode.OK, "admin up");
        await WaitAsync(async () => (await TryGetAsync(_client, $"http://127.0.0.1:{_demoPort}/healthz")) == HttpStatusCode.OK, "demo up");
    }

    public async Task DisposeAsync()
    {
        foreach (var process in _processes)
        {
            await process.DisposeAsync();
        }

        _admin.Dispose();
        _client.Dispose();
        try
        {
            Directory.Delete(_dir, recursive: true);
        }
        catch (IOException)
        {
            // Best effort.
        }
    }

    [Fact]
    public async Task AdminChanges_ReachGateway_AndGatewaySurvivesAdminLoss()
    {
        // The operator creates the group and a service through the admin API.
        Assert.Equal(HttpStatusCode.Created, (await _admin.PostAsync("/api/v1/groups", Json("""{"name":"default"}"""))).StatusCode);
        var service = $$"""
            {"name":"orders","nodes":[{"id":"orders-1","address":"http://127.0.0.1:{{_demoPort}}"}],"apis":[{"id":"all","path":"/**"}]}
            """;
        var created = await _admin.PostAsync("/api/v1/groups/default/services", Json(service));
        Assert.True(created.StatusCode == HttpStatusCode.Created, await created.Content.ReadAsStringAsync());

        var gateway = StartGateway();
        await WaitAsync(async () => await GetOrdersAsync() == HttpStatusCode.OK, "gateway serves the admin's config", gateway);

        // Traffic removal through the admin: the gateway stops sending to the node without a restart.
        var offline = await _admin.PostAsync("/api/v1/groups/default/services/orders/nodes/orders-1/offline", Json("""{"revision":1}"""));
        Assert.True(offline.IsSuccessStatusCode, await offline.Content.ReadAsStringAsync());
        await WaitAsync(async () => await GetOrdersAsync() == HttpStatusCode.ServiceUnavailable, "node taken off traffic", gateway);
        var online = await _admin.PostAsync("/api/v1/groups/default/services/orders/nodes/orders-1/online", Json("""{"revision":2}"""));
        Assert.True(online.IsSuccessStatusCode, await online.Content.ReadAsStringAsync());
        await WaitAsync(async () => await GetOrdersAsync() == HttpStatusCode.OK, "node back on traffic", gateway);

        // The admin shows the node converged on the latest version (heartbeats).
        await WaitAsync(async () =>
        {
            var nodes = await _admin.GetFromJsonAsync<JsonElement>("/api/v1/groups/default/gateways");
            return nodes.EnumerateArray().Any(n => n.GetProperty("nodeId").GetString() == "gw-1" && n.GetProperty("current").GetBoolean());
        }, "admin reports the gateway converged", gateway);

        // The admin dies: the gateway keeps serving what it has.
        var admin = _processes.Single(p => p.Name == "admin");
        await admin.KillAsync();
        for (var i = 0; i < 20; i++)
        {
            Assert.Equal(HttpStatusCode.OK, await GetOrdersAsync());
        }

        // A gateway restarted while the admin is down serves from its local snapshot file.
        await gateway.KillAsync();
        var restarted = StartGateway();
        await WaitAsync(async () => await GetOrdersAsync() == HttpStatusCode.OK, "restarted gateway serves from its snapshot", restarted);

        // The admin returns with a change: the gateway catches up by itself (timed pull).
        StartAdmin();
        await WaitAsync(async () => (await TryGetAsync(_admin, "/healthz")) == HttpStatusCode.OK, "admin back");
        var service2 = service.Replace("\"path\":\"/**\"", "\"path\":\"/only/**\"").Replace("{\"name\":\"orders\",", "{\"name\":\"orders\",\"revision\":3,");
        var replaced = await _admin.PutAsync("/api/v1/groups/default/services/orders", Json(service2));
        Assert.True(replaced.IsSuccessStatusCode, await replaced.Content.ReadAsStringAsync());
        await WaitAsync(async () => await GetOrdersAsync() == HttpStatusCode.NotFound, "gateway caught up after the admin returned", restarted);
    }

    private GatehouseProcess StartGateway() => Start("gateway", "gateway",
        "--admin", $"http://127.0.0.1:{_adminPort}", "--port", _gatewayPort.ToString(), "--control-port", _controlPort.ToString(),
        "--listen", "127.0.0.1", "--node-id", "gw-1",
        "--Gatehouse:ControlSecret", Secret,
        "--Gatehouse:Gateway:SnapshotPath", Path.Combine(_dir, "snapshot.json"),
        "--Gatehouse:Gateway:PullInterval", "00:00:00.300",
        "--Gatehouse:Gateway:HeartbeatInterval", "00:00:00.300");

    private void StartAdmin() => Start("admin", "admin",
        "--urls", $"http://127.0.0.1:{_adminPort}",
        "--Gatehouse:Admin:Database", $"Data Source={Path.Combine(_dir, "admin.db")}",
        "--Gatehouse:Admin:Token", Token,
        "--Gatehouse:ControlSecret", Secret);

    private GatehouseProcess Start(string name, params string[] args)
    {
        var process = GatehouseProcess.Start(name, args);
        _processes.Add(process);
        return process;
    }

    private async Task<HttpStatusCode> GetOrdersAsync()
    {
        var request = new HttpRequestMessage(HttpMethod.Get, $"http://127.0.0.1:{_gatewayPort}/orders/1");
        request.Headers.Add("serviceName", "orders");
        try
        {
            using var response = await _client.SendAsync(request);
            return response.StatusCode;
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
        {
            // A refused connection or a client timeout on a loaded machine both mean "not yet".
            return 0;
        }
    }

    private static async Task<HttpStatusCode> TryGetAsync(HttpClient client, string url)
    {
        try
        {
            using var response = await client.GetAsync(url);
            return response.StatusCode;
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
        {
            // A refused connection or a client timeout on a loaded machine both mean "not yet".
            return 0;
        }
    }

    private static StringContent Json(string json) => new(json, Encoding.UTF8, "application/json");

    private async Task WaitAsync(Func<Task<bool>> condition, string what, GatehouseProcess? watch = null)
    {
        var deadline = DateTime.UtcNow + Patience;
        while (!await condition())
        {
            if (DateTime.UtcNow > deadline || watch is { HasExited: true })
            {
                var logs = string.Join("\n", _processes.Select(p => $"--- {p.Name} ---\n{p.Output}"));
                throw new TimeoutException($"Timed out waiting for: {what}\n{logs}");
            }

            await Task.Delay(100);
        }
    }
}
