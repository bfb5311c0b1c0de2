using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Gatehouse.Gateway.FunctionalTests.Infrastructure;

namespace Gatehouse.Gateway.FunctionalTests.Pipeline;

public class PolicyViewTests
{
    private const string Config = """
        global:
          timeouts: { connectMs: 1500 }
          rateLimit: { limit: 1000 }
        services:
          - name: orders
            activeVersion: v1
            policy:
              canary: { gray: beta, percent: 10 }
              timeouts: { idleMs: 9000 }
            nodes: [ { address: "http://127.0.0.1:9", version: v1 } ]
            apis:
              - { id: list, path: "/orders" }
              - id: create
                path: /orders/new
                policy:
                  loadBalancer: { kind: leastInFlight }
                  rateLimit: { limit: 5 }
        """;

    private static JsonElement Member(JsonElement view, string name) =>
        view.GetProperty("members").EnumerateArray().Single(m => m.GetProperty("member").GetString() == name);

    [Fact]
    public async Task GetPolicy_KnownApi_EveryMemberWithItsLevel()
    {
        await using var gw = await GatewayTestHost.StartAsync(Config);

        var view = await gw.Control.GetFromJsonAsync<JsonElement>("/control/policy?service=orders&api=create");

        Assert.Equal(1, view.GetProperty("version").GetInt64());
        Assert.Equal("orders", view.GetProperty("service").GetString());
        Assert.Equal("create", view.GetProperty("api").GetString());
        Assert.Equal("v1", view.GetProperty("activeVersion").GetString());
        Assert.Equal("api", Member(view, "loadBalancer").GetProperty("source").GetString());
        Assert.Equal("leastInFlight", Member(view, "loadBalancer").GetProperty("value").GetProperty("kind").GetString());
        Assert.False(Member(view, "loadBalancer").TryGetProperty("levels", out _)); // nulls left out, as in the admin's view
        Assert.Equal("service", Member(view, "canary").GetProperty("source").GetString());
        Assert.Equal(10, Member(view, "canary").GetProperty("value").GetProperty("percent").GetDouble());
        Assert.Equal(("global", 1500), (Member(view, "timeouts.connectMs").GetProperty("source").GetString(), Member(view, "timeouts.connectMs").GetProperty("value").GetInt32()));
        Assert.Equal("service", Member(view, "timeouts.idleMs").GetProperty("source").GetString());
        Assert.Equal("default", Member(view, "timeouts.responseHeadersMs").GetProperty("source").GetString());
        var levels = Member(view, "rateLimit").GetProperty("levels").EnumerateArray().Select(l => l.GetProperty("source").GetString());
        Assert.Equal(["global", "api"], levels);
    }

    [Fact]
    public async Task GetPolicy_IpAccessStacked_LimitsFieldByField()
    {
        await using var gw = await GatewayTestHost.StartAsync("""
            global:
              ipAccess: { deny: [ "192.0.2.0/24" ] }
              limits: { maxBodyBytes: 1000 }
            services:
              - name: s
                policy: { ipAccess: { allow: [ "10.0.0.0/8" ] } }
                nodes: [ { address: "http://127.0.0.1:9" } ]
                apis:
                  - id: a
                    path: /a
                    policy: { ipAccess: { allow: [ "10.1.0.0/16" ] }, limits: { maxBodyBytes: 10 } }
            """);

        var view = await gw.Control.GetFromJsonAsync<JsonElement>("/control/policy?service=s&api=a");

        var ipAccess = Member(view, "ipAccess");
        Assert.Equal("stack", ipAccess.GetProperty("merge").GetString());
        Assert.Equal(["global", "service", "api"], ipAccess.GetProperty("levels").EnumerateArray().Select(l => l.GetProperty("source").GetString()));
        Assert.Equal("192.0.2.0/24", ipAccess.GetProperty("levels")[0].GetProperty("value").GetProperty("deny")[0].GetString());
        var maxBody = Member(view, "limits.maxBodyBytes");
        Assert.Equal(("api", 10), (maxBody.GetProperty("source").GetString(), maxBody.GetProperty("value").GetInt32()));
    }

    [Fact]
    public async Task GetPolicy_FollowsReload()
    {
        await using var gw = await GatewayTestHost.StartAsync(Config);
        await gw.ReloadAsync(Config.Replace("percent: 10", "percent: 60", StringComparison.Ordinal));

        var view = await gw.Control.GetFromJsonAsync<JsonElement>("/control/policy?service=orders&api=list");
        Assert.Equal(60, Member(view, "canary").GetProperty("value").GetProperty("percent").GetDouble());
    }

    [Theory]
    [InlineData("/control/policy?service=billing&api=list", HttpStatusCode.NotFound, "service_not_found")]
    [InlineData("/control/policy?service=orders&api=nope", HttpStatusCode.NotFound, "api_not_found")]
    [InlineData("/control/policy?service=orders", HttpStatusCode.BadRequest, "bad_request")]
    public async Task GetPolicy_UnknownOrMissingIds_Problem(string url, HttpStatusCode status, string code)
    {
        await using var gw = await GatewayTestHost.StartAsync(Config);

        using var response = await gw.Control.GetAsync(url);
        Assert.Equal(status, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType!.MediaType);
        var problem = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal(code, problem.GetProperty("code").GetString());
    }

    [Fact]
    public async Task GetPolicy_NoConfigLoaded_503()
    {
        await using var gw = await GatewayTestHost.StartAsync(null);
        using var response = await gw.Control.GetAsync("/control/policy?service=orders&api=list");
        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
    }
}
