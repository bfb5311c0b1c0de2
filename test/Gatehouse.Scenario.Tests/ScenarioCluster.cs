using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;

namespace Gatehouse.Scenario.Tests;

/// <summary>
/// One real admin and any number of real gateways (processes of the built host) on loopback, with the calls the
/// config distribution scenarios need: admin writes, the gateways' applied version, and waiting with logs on failure.
/// </summary>
internal sealed class ScenarioCluster : IAsyncDisposable
{
    public const string Token = "scenario-admin-token";
    public const string Secret = "scenario-control-secret";
    public const string RegistryToken = "scenario-registry-token";
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    private readonly string _dir = Directory.CreateTempSubdirectory("gatehouse-push-").FullName;
    private readonly ProcessSet _processes = new();
    private readonly int _adminPort = GatehouseProcess.FreePort();

    private ScenarioCluster()
    {
        Admin = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{_adminPort}"), Timeout = TimeSpan.FromSeconds(10) };
        Admin.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", Token);
    }

    /// <summary>The cluster's temporary directory: the admin's database and key file, the gateways' snapshot files.</summary>
    public string DataDirectory => _dir;

    /// <summary>The admin's base URL (also the embedded registry's).</summary>
    public string AdminUrl => $"http://127.0.0.1:{_adminPort}";

    /// <summary>The admin API, authenticated.</summary>
    public HttpClient Admin { get; }

    /// <summary>For gateway ports.</summary>
    public HttpClient Client { get; } = new() { Timeout = TimeSpan.FromSeconds(5) };

    public GatehouseProcess AdminProcess => _processes.All.First(p => p.Name == "admin");

    /// <summary>Starts the admin (with <paramref name="adminArgs"/> appended) and waits until it answers.</summary>
    public static async Task<ScenarioCluster> StartAsync(params string[] adminArgs)
    {
        var cluster = new ScenarioCluster();
        cluster._processes.Start("admin",
        [
            "admin",
            "--urls", $"http://127.0.0.1:{cluster._adminPort}",
            "--Gatehouse:Admin:Database", $"Data Source={Path.Combine(cluster._dir, "admin.db")}",
            "--Gatehouse:Admin:Token", Token,
            "--Gatehouse:Admin:RegistryToken", RegistryToken,
            "--Gatehouse:ControlSecret", Secret,
            .. adminArgs,
        ]);
        await cluster.WaitAsync(async () => await cluster.StatusAsync(cluster.Admin, "/healthz") == HttpStatusCode.OK, "admin up");
        return cluster;
    }

    /// <summary>Starts a gateway of <paramref name="group"/> taking its config from the admin; extra args are appended.</summary>
    public ScenarioGateway StartGateway(string group, string nodeId, TimeSpan pullInterval, params string[] extra)
    {
        var gateway = new ScenarioGateway(nodeId, GatehouseProcess.FreePort(), GatehouseProcess.FreePort());
        string[] args =
        [
            "gateway", "--admin", $"http://127.0.0.1:{_adminPort}", "--group", group,
            "--port", gateway.Port.ToString(), "--control-port", gateway.ControlPort.ToString(),
            "--listen", "127.0.0.1", "--node-id", nodeId,
            "--Gatehouse:ControlSecret", Secret,
            "--Gatehouse:Gateway:SnapshotPath", Path.Combine(_dir, $"snapshot-{nodeId}.json"),
            "--Gatehouse:Gateway:PullInterval", pullInterval.ToString("c"),
            // Heartbeats do not pull, so a short interval only keeps the node live in the admin's eyes.
            "--Gatehouse:Gateway:HeartbeatInterval", "00:00:00.500",
            .. extra,
        ];
        gateway.Process = _processes.Start(nodeId, args);
        return gateway;
    }

    /// <summary>Starts another process of the host (e.g. a demo backend), stopped with the cluster.</summary>
    public GatehouseProcess StartProcess(string name, params string[] args) => _processes.Start(name, args);

    /// <summary>Creates a group (version 1).</summary>
    public async Task CreateGroupAsync(string group)
    {
        using var response = await Admin.PostAsync("/api/v1/groups", Json($$"""{"name":"{{group}}"}"""));
        Assert.True(response.StatusCode == HttpStatusCode.Created, await response.Content.ReadAsStringAsync());
    }

    /// <summary>Adds a service (one new version of the group); its node is never called by these scenarios.</summary>
    public async Task AddServiceAsync(string group, string service)
    {
        var body = $$"""{"name":"{{service}}","nodes":[{"id":"{{service}}-1","address":"http://127.0.0.1:9"}],"apis":[{"id":"all","path":"/**"}]}""";
        using var response = await Admin.PostAsync($"/api/v1/groups/{group}/services", Json(body));
        Assert.True(response.StatusCode == HttpStatusCode.Created, await response.Content.ReadAsStringAsync());
    }

    /// <summary>The group's latest version as the admin lists it.</summary>
    public async Task<long> AdminVersionAsync(string group)
    {
        var groups = await Admin.GetFromJsonAsync<JsonElement>("/api/v1/groups");
        return groups.EnumerateArray().Single(g => g.GetProperty("name").GetString() == group).GetProperty("version").GetInt64();
    }

    /// <summary>The version the gateway reports on its control port; null while it has none or is not up.</summary>
    public Task<long?> GatewayVersionAsync(ScenarioGateway gateway) => ProcessSet.GatewayVersionAsync(Client, gateway.ControlPort);

    /// <summary>Waits until the gateway applied <paramref name="version"/> and the admin lists it as live and current.</summary>
    public async Task WaitReadyAsync(string group, ScenarioGateway gateway, long version)
    {
        await WaitAsync(async () => await GatewayVersionAsync(gateway) >= version, $"{gateway.NodeId} applied version {version}");
        await WaitAsync(async () =>
        {
            var nodes = await Admin.GetFromJsonAsync<JsonElement>($"/api/v1/groups/{group}/gateways");
            return nodes.EnumerateArray().Any(n => n.GetProperty("nodeId").GetString() == gateway.NodeId && n.GetProperty("current").GetBoolean());
        }, $"admin lists {gateway.NodeId} as current");
    }

    /// <summary>Polls the gateway's version until it reaches <paramref name="version"/>; returns the time it took.</summary>
    public async Task<TimeSpan> TimeUntilAppliedAsync(ScenarioGateway gateway, long version, DateTime since, TimeSpan limit)
    {
        while (await GatewayVersionAsync(gateway) < version)
        {
            if (DateTime.UtcNow - since > limit)
            {
                throw new TimeoutException($"{gateway.NodeId} did not apply version {version} within {limit.TotalMilliseconds:0} ms\n{Logs()}");
            }

            await Task.Delay(5);
        }

        return DateTime.UtcNow - since;
    }

    public Task WaitAsync(Func<Task<bool>> condition, string what) => _processes.WaitAsync(condition, what, Patience);

    public string Logs() => _processes.Logs();

    public Task<HttpStatusCode> StatusAsync(HttpClient client, string url) => ProcessSet.StatusAsync(client, url);

    public async ValueTask DisposeAsync()
    {
        await _processes.DisposeAsync();
        Admin.Dispose();
        Client.Dispose();
        try
        {
            Directory.Delete(_dir, recursive: true);
        }
        catch (IOException)
        {
            // Best effort.
        }
    }

    public static StringContent Json(string json) => new(json, Encoding.UTF8, "application/json");
}

/// <summary>A gateway process of a <see cref="ScenarioCluster"/> and its ports.</summary>
internal sealed class ScenarioGateway(string nodeId, int port, int controlPort)
{
    public string NodeId { get; } = nodeId;

    public int Port { get; } = port;

    public int ControlPort { get; } = controlPort;

    public GatehouseProcess Process { get; set; } = null!;
}
