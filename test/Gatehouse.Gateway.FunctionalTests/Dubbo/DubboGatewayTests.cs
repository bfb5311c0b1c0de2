using System.Net;
using System.Text.Json;
using Gatehouse.Gateway.FunctionalTests.Infrastructure;
using Gatehouse.Gateway.FunctionalTests.Rpc;
using Gatehouse.Testing;

namespace Gatehouse.Gateway.FunctionalTests.Dubbo;

/// <summary>
/// HTTP → Dubbo through a real gateway to real dubbo.ts 1.0.72 providers (node processes from test/tools/dubbo):
/// argument binding, results as JSON, exceptions, timeouts, attachments and trace context, a provider killed mid-call.
/// </summary>
public sealed class DubboGatewayTests : IAsyncLifetime
{
    private DubboProviderProcess _p1 = null!;
    private DubboProviderProcess _p2 = null!;
    private GatewayTestHost _gateway = null!;
    private RpcGatewayChecks _checks = null!;

    private static string Api(string id, string method, string path, string dubboMethod, string types, string? names = null, string extra = "")
        => $$"""
              - id: {{id}}
                methods: [{{method}}]
                path: {{path}}
                protocol: dubbo
                dubbo:
                  interface: com.gatehouse.test.DemoService
                  version: 1.0.0
                  method: {{dubboMethod}}
                  parameterTypes: [{{types}}]
        {{(names is null ? "" : $"          parameterNames: [{names}]\n")}}{{extra}}
        """;

    public async Task InitializeAsync()
    {
        _p1 = await DubboProviderProcess.StartAsync("p1");
        _p2 = await DubboProviderProcess.StartAsync("p2");
        var yaml = $$"""
            originMappings:
              - { pathPrefix: /demo, service: demo }
              - { pathPrefix: /pair, service: pair }
            services:
              - name: demo
                policy: { timeouts: { responseHeadersMs: 1000 } }
                nodes: [ { id: p1, address: "{{_p1.Address}}" } ]
                apis:
            {{Api("add", "POST", "/demo/add", "add", "int, int", "a, b")}}
            {{Api("echo", "POST", "/demo/echo", "echo", "java.lang.Object")}}
            {{Api("user", "GET", "/demo/users/{id}", "user", "long", "id")}}
            {{Api("info", "GET", "/demo/info", "info", "")}}
            {{Api("range", "GET", "/demo/range", "range", "int", "n")}}
            {{Api("nothing", "GET", "/demo/nothing", "nothing", "")}}
            {{Api("repeat", "POST", "/demo/repeat", "repeat", "java.lang.String, int", "text, count")}}
            {{Api("fail", "POST", "/demo/fail", "fail", "java.lang.String")}}
            {{Api("sleep", "GET", "/demo/sleep", "sleep", "int", "ms")}}
            {{Api("whoami", "GET", "/demo/whoami", "whoami", "", null, "          group: blue\n          attachHeaders: [x-tenant]\n")}}
              - name: pair
                nodes: [ { id: p1, address: "{{_p1.Address}}" }, { id: p2, address: "{{_p2.Address}}" } ]
                apis:
            {{Api("pair-info", "GET", "/pair/info", "info", "")}}
            {{Api("limited", "GET", "/pair/limited", "info", "", null, "        policy: { rateLimit: { limit: 2, windowMs: 60000 } }\n")}}
            {{Api("pair-sleep", "POST", "/pair/sleep", "sleep", "int")}}
            """;
        _gateway = await GatewayTestHost.StartAsync(yaml);
        _checks = new RpcGatewayChecks(_gateway);
    }

    public async Task DisposeAsync()
    {
        await _gateway.DisposeAsync();
        await _p1.DisposeAsync();
        await _p2.DisposeAsync();
    }

    private Task<JsonElement> PostJsonAsync(string path, string json, HttpStatusCode expected = HttpStatusCode.OK)
        => _checks.PostJsonAsync(path, json, expected);

    private Task<JsonElement> GetJsonAsync(string path, HttpStatusCode expected = HttpStatusCode.OK) => _checks.GetJsonAsync(path, expected);

    [Fact]
    public async Task Primitives_PositionalNamedAndPathQueryArguments()
    {
        Assert.Equal(5, (await PostJsonAsync("/demo/add", "[2, 3]")).GetInt32());
        Assert.Equal(42, (await PostJsonAsync("/demo/add", """{"b": 40, "a": 2}""")).GetInt32());
        Assert.Equal("[0,1,2,3,4]", (await GetJsonAsync("/demo/range?n=5")).GetRawText());
        Assert.Equal(JsonValueKind.Null, (await GetJsonAsync("/demo/nothing")).ValueKind);
    }

    [Fact]
    public async Task StringsListsMapsNestedObjects_RoundTripAsJson()
    {
        Assert.Equal("héllo \U0001F600", (await PostJsonAsync("/demo/echo", "\"héllo \U0001F600\"")).GetString());
        var nested = """{"k":[1,"x",null,true,2.5,{"deep":{"n":9007199254740991}}],"empty":{}}""";
        // Member order of a JSON object is not significant (the provider's JavaScript objects reorder them).
        Assert.True(System.Text.Json.Nodes.JsonNode.DeepEquals(System.Text.Json.Nodes.JsonNode.Parse(nested),
            System.Text.Json.Nodes.JsonNode.Parse((await PostJsonAsync("/demo/echo", nested)).GetRawText())));

        var user = await GetJsonAsync("/demo/users/7");
        Assert.Equal("""{"id":7,"name":"user-7","tags":["a","b"],"address":{"city":"Shenzhen"}}""", user.GetRawText());
        var info = await GetJsonAsync("/demo/info");
        Assert.Equal("p1", info.GetProperty("name").GetString());
        Assert.Equal(JsonValueKind.Null, info.GetProperty("nested").GetProperty("nothing").ValueKind);
    }

    [Fact]
    public async Task LargeResult_StreamedAsJson()
    {
        var text = (await PostJsonAsync("/demo/repeat", """{"text": "abc", "count": 400000}""")).GetString()!;
        Assert.Equal(1_200_000, text.Length);
    }

    [Fact]
    public async Task BadArguments_400WithoutCallingTheProvider()
    {
        var problem = await PostJsonAsync("/demo/add", "[1]", HttpStatusCode.BadRequest);
        Assert.Equal("bad_request", problem.GetProperty("code").GetString());
        Assert.Contains("takes 2 argument(s)", problem.GetProperty("detail").GetString());
        problem = await PostJsonAsync("/demo/add", """{"a": "x", "b": 1}""", HttpStatusCode.BadRequest);
        Assert.Contains("argument 'a' (int)", problem.GetProperty("detail").GetString());
        problem = await PostJsonAsync("/demo/add", "{not json", HttpStatusCode.BadRequest);
        Assert.Contains("not JSON", problem.GetProperty("detail").GetString());
    }

    [Fact]
    public async Task ProviderException_502UpstreamErrorWithMessage()
    {
        var problem = await PostJsonAsync("/demo/fail", "\"order 17 not found\"", HttpStatusCode.BadGateway);
        Assert.Equal("upstream_error", problem.GetProperty("code").GetString());
        Assert.Contains("order 17 not found", problem.GetProperty("detail").GetString());
        // The connection is fine afterwards.
        Assert.Equal(3, (await PostJsonAsync("/demo/add", "[1, 2]")).GetInt32());
    }

    [Fact]
    public Task SlowProvider_504UpstreamTimeout() => _checks.SlowNodeTimesOutAsync();

    [Fact]
    public async Task HeadersAndTraceContext_TravelAsAttachments()
    {
        var attachments = (await _checks.SendTracedAsync("/demo/whoami", "req-dubbo-1")).GetProperty("attachments");

        Assert.Equal("t-9", attachments.GetProperty("x-tenant").GetString());
        Assert.Equal("blue", attachments.GetProperty("group").GetString());
        Assert.Equal("req-dubbo-1", attachments.GetProperty("x-request-id").GetString());
        RpcGatewayChecks.AssertTraceContinued(attachments.GetProperty("traceparent").GetString()!);
    }

    [Fact]
    public Task ProviderKilledMidCall_502ThenCallsGoToTheOtherNode()
        => _checks.NodeKilledMidCallAsync("/pair/info", info => info.GetProperty("name").GetString(), [("p1", _p1.Kill), ("p2", _p2.Kill)]);

    [Fact]
    public Task Policies_RateLimitAndMetrics_ApplyAsToHttpApis()
        => _checks.RateLimitAndMetricsApplyAsync("/pair/limited", "/pair/limited", "/pair/limited");
}
