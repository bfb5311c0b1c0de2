using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Gatehouse.Admin;
using Gatehouse.Core.Security;
using Gatehouse.Gateway.FunctionalTests.Infrastructure;
using Microsoft.AspNetCore.Builder;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Configuration;

namespace Gatehouse.Gateway.FunctionalTests.Explain;

/// <summary>
/// The admin's explain and debug tokens through real gateways: a real admin and two real gateway nodes of one group (in
/// process, on loopback ports) that report their control addresses by heartbeat; the admin asks one of them, signed.
/// </summary>
public sealed class AdminExplainTests : IAsyncLifetime
{
    private const string Token = "explain-admin-token";
    private const string Group = "ex";
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(30);

    private readonly string _dir = Directory.CreateTempSubdirectory("gatehouse-explain-").FullName;
    private readonly int _adminPort = FreePort.Next();
    private readonly List<GatewayTestHost> _gateways = [];
    private WebApplication _admin = null!;
    private HttpClient _api = null!;
    private EchoBackend _backend = null!;

    private string AdminUrl => $"http://127.0.0.1:{_adminPort}";

    public async Task InitializeAsync()
    {
        _backend = await EchoBackend.StartAsync("b");
        _admin = AdminApplication.Create(["--urls", AdminUrl], builder => builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Gatehouse:Admin:Database"] = $"Data Source={Path.Combine(_dir, "admin.db")}",
            ["Gatehouse:Admin:SecretKey"] = Convert.ToBase64String(Enumerable.Repeat((byte)7, 32).ToArray()),
            ["Gatehouse:Admin:Token"] = Token,
            ["Gatehouse:ControlSecret"] = ExplainKit.Secret,
        }));
        await _admin.StartAsync();
        _api = new HttpClient { BaseAddress = new Uri(AdminUrl) };
        _api.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", Token);
        await EnsureAsync(_api.PostAsync("/api/v1/groups", Json($$"""{"name":"{{Group}}"}""")));
        await EnsureAsync(_api.PostAsync($"/api/v1/groups/{Group}/services", Json($$"""
            {"name":"orders","healthCheck":{"enabled":false},
             "nodes":[{"id":"n1","address":"{{_backend.Address}}","loc":"dc1"},{"id":"n2","address":"http://127.0.0.1:9","loc":"dc1","online":false}],
             "apis":[{"id":"get-order","path":"/orders/{id}"}]}
            """)));
    }

    public async Task DisposeAsync()
    {
        foreach (var gateway in _gateways)
        {
            await gateway.DisposeAsync();
        }

        _api.Dispose();
        await _admin.StopAsync();
        await _admin.DisposeAsync();
        SqliteConnection.ClearAllPools();
        await _backend.DisposeAsync();
        try
        {
            Directory.Delete(_dir, recursive: true);
        }
        catch (IOException)
        {
            // A pooled handle may still be closing; the temp directory is left for the OS to clean.
        }
    }

    [Fact]
    public async Task Explain_AnsweredByALiveGateway_NodePicksWhich()
    {
        // No gateway yet: a clear 503.
        var none = await _api.PostAsync($"/api/v1/groups/{Group}/explain", Json("""{"method":"GET","path":"/orders/1","headers":{"serviceName":"orders"}}"""));
        Assert.Equal(HttpStatusCode.ServiceUnavailable, none.StatusCode);
        Assert.Equal("no_live_gateway", (await none.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("code").GetString());

        await StartGatewayAsync("gw-a", "dc1");
        await StartGatewayAsync("gw-b", "dc2");

        var body = """{"method":"GET","path":"/orders/42","headers":{"serviceName":"orders"}}""";
        using var response = await _api.PostAsync($"/api/v1/groups/{Group}/explain", Json(body));
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, text);
        var e = JsonDocument.Parse(text).RootElement;
        Assert.Equal("forward", e.Str("outcome"));
        Assert.Equal(("header", "orders"), (e.Str("resolution", "by"), e.Str("resolution", "service")));
        Assert.Equal(("get-order", "template"), (e.Str("api", "id"), e.Str("api", "tier")));
        Assert.Equal("offline", ExplainKit.Reason(e, "n2"));
        Assert.Contains(e.Str("gateway", "nodeId"), new[] { "gw-a", "gw-b" });

        foreach (var (node, loc) in new[] { ("gw-a", "dc1"), ("gw-b", "dc2") })
        {
            using var picked = await _api.PostAsync($"/api/v1/groups/{Group}/explain?node={node}", Json(body));
            var answer = await picked.Content.ReadFromJsonAsync<JsonElement>();
            Assert.Equal(HttpStatusCode.OK, picked.StatusCode);
            Assert.Equal((node, loc), (answer.Str("gateway", "nodeId"), answer.Str("gateway", "loc")));
        }

        // The gateway's own 400 names the field, relayed as it is.
        using var bad = await _api.PostAsync($"/api/v1/groups/{Group}/explain", Json("""{"method":"GET","path":"/x","clientIp":"nope"}"""));
        Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
        Assert.Equal("clientIp", (await bad.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("field").GetString());
    }

    [Fact]
    public async Task DebugToken_IssuedByTheAdmin_TurnsOnTheRouteHeaderAtTheGateway()
    {
        var gateway = await StartGatewayAsync("gw-a", "dc1");
        var issued = await (await _api.PostAsync($"/api/v1/groups/{Group}/debug-tokens", Json("""{"ttlSeconds":120}""")))
            .Content.ReadFromJsonAsync<JsonElement>();

        using var request = new HttpRequestMessage(HttpMethod.Get, "/orders/7");
        request.Headers.Add("serviceName", "orders");
        request.Headers.Add(issued.GetProperty("header").GetString()!, issued.GetProperty("token").GetString());
        using var response = await gateway.Client.SendAsync(request);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("service=orders; api=get-order; node=n1; attempts=1", string.Join(",", response.Headers.GetValues(DebugToken.RouteHeader)));
    }

    private async Task<GatewayTestHost> StartGatewayAsync(string nodeId, string loc)
    {
        var gateway = await GatewayTestHost.StartWithAdminAsync(AdminUrl, ExplainKit.Secret, null,
            "--group", Group, "--node-id", nodeId, "--loc", loc, "--Gatehouse:Gateway:PullInterval", "00:00:00.500",
            "--Gatehouse:Gateway:HeartbeatInterval", "00:00:00.500");
        _gateways.Add(gateway);
        await GatewayTestHost.WaitUntilAsync(async () =>
        {
            var nodes = await _api.GetFromJsonAsync<JsonElement>($"/api/v1/groups/{Group}/gateways");
            return nodes.EnumerateArray().Any(n => n.GetProperty("nodeId").GetString() == nodeId && n.GetProperty("current").GetBoolean()
                && n.GetProperty("live").GetBoolean());
        }, Wait, $"gateway {nodeId} did not report the current version");
        return gateway;
    }

    private static StringContent Json(string json) => new(json, Encoding.UTF8, "application/json");

    private static async Task EnsureAsync(Task<HttpResponseMessage> call)
    {
        using var response = await call;
        Assert.True(response.IsSuccessStatusCode, $"{(int)response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
    }
}
