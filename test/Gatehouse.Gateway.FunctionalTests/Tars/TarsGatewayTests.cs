using System.Net;
using System.Text.Json;
using Gatehouse.Gateway.FunctionalTests.Infrastructure;
using Gatehouse.Gateway.FunctionalTests.Rpc;
using Gatehouse.Testing;

namespace Gatehouse.Gateway.FunctionalTests.Tars;

/// <summary>
/// HTTP → Tars through a real gateway to real @tars/rpc 2.0.15 servers (node processes from test/tools/tars): TUP calls
/// with types from the interface file or from config, JSON mode, return codes, timeouts, context and trace, large
/// payloads, a server killed mid-call, and the gateway's policies.
/// </summary>
public sealed class TarsGatewayTests : IAsyncLifetime
{
    private TarsServerProcess _s1 = null!;
    private TarsServerProcess _s2 = null!;
    private GatewayTestHost _gateway = null!;
    private RpcGatewayChecks _checks = null!;

    /// <summary>The interface file as a YAML block scalar under <c>tars.idl</c>.</summary>
    private static string s_idl = "";

    /// <summary>An API whose function is declared in the interface file.</summary>
    private static string IdlApi(string id, string method, string path, string function, string extra = "")
        => $$"""
              - id: {{id}}
                methods: [{{method}}]
                path: {{path}}
                protocol: tars
                tars:
                  servant: {{TarsServerProcess.Servant}}
                  function: {{function}}
                  idl: |
        {{s_idl}}
        {{extra}}
        """;

    public async Task InitializeAsync()
    {
        _s1 = await TarsServerProcess.StartAsync("s1");
        _s2 = await TarsServerProcess.StartAsync("s2");
        s_idl = string.Join("\n", (await File.ReadAllTextAsync(TarsServerProcess.InterfaceFile)).TrimEnd().Split('\n').Select(l => "            " + l));
        var yaml = $$"""
            originMappings:
              - { pathPrefix: /demo, service: demo }
              - { pathPrefix: /pair, service: pair }
              - { pathPrefix: /grayed, service: grayed }
            services:
              - name: demo
                policy: { timeouts: { responseHeadersMs: 1000 } }
                nodes: [ { id: s1, address: "{{_s1.Address}}" } ]
                apis:
            {{IdlApi("scalars", "POST", "/demo/scalars", "scalars")}}
            {{IdlApi("user", "GET", "/demo/users/{id}", "getUser")}}
            {{IdlApi("echo-user", "POST", "/demo/users", "echoUser")}}
            {{IdlApi("range", "GET", "/demo/range", "range")}}
            {{IdlApi("count", "POST", "/demo/count", "countWords")}}
            {{IdlApi("repeat", "POST", "/demo/repeat", "repeat")}}
            {{IdlApi("bytes", "POST", "/demo/bytes", "reverseBytes")}}
            {{IdlApi("swap", "POST", "/demo/swap", "swap")}}
            {{IdlApi("fail", "POST", "/demo/fail", "fail")}}
            {{IdlApi("sleep", "GET", "/demo/sleep", "sleep")}}
            {{IdlApi("whoami", "GET", "/demo/whoami", "whoami", "          contextHeaders: [x-tenant]\n")}}
                  - id: add                     # declared in config instead of the interface file
                    methods: [POST]
                    path: /demo/add
                    protocol: tars
                    tars:
                      servant: {{TarsServerProcess.Servant}}
                      function: add
                      parameters: [ { name: a, type: int }, { name: b, type: int } ]
                      returnType: int
                  - id: address                 # a struct declared in config
                    methods: [POST]
                    path: /demo/address
                    protocol: tars
                    tars:
                      servant: {{TarsServerProcess.Servant}}
                      function: echoUser
                      parameters: [ { name: user, type: Person } ]
                      returnType: Person
                      structs:
                        Person:
                          - { tag: 0, name: id, type: long, required: true }
                          - { tag: 3, name: home, type: Place }
                        Place:
                          - { tag: 0, name: city, type: string }
                  - id: missing
                    methods: [POST]
                    path: /demo/missing
                    protocol: tars
                    tars: { servant: {{TarsServerProcess.Servant}}, function: noSuchFunction, returnType: int }
                  - id: json-add
                    methods: [POST]
                    path: /demo/json/add
                    protocol: tars
                    tars: { servant: {{TarsServerProcess.Servant}}, function: add, mode: json }
              - name: pair
                nodes: [ { id: s1, address: "{{_s1.Address}}" }, { id: s2, address: "{{_s2.Address}}" } ]
                apis:
            {{IdlApi("pair-user", "GET", "/pair/users/{id}", "getUser")}}
            {{IdlApi("limited", "GET", "/pair/limited/{id}", "getUser", "        policy: { rateLimit: { limit: 2, windowMs: 60000 } }\n")}}
            {{IdlApi("pair-sleep", "POST", "/pair/sleep", "sleep")}}
              - name: grayed
                nodes: [ { id: s1, address: "{{_s1.Address}}" }, { id: s2, address: "{{_s2.Address}}", gray: [v2] } ]
                apis:
            {{IdlApi("grayed-user", "GET", "/grayed/users/{id}", "getUser")}}
            """;
        _gateway = await GatewayTestHost.StartAsync(yaml);
        _checks = new RpcGatewayChecks(_gateway);
    }

    public async Task DisposeAsync()
    {
        await _gateway.DisposeAsync();
        await _s1.DisposeAsync();
        await _s2.DisposeAsync();
    }

    private Task<JsonElement> PostJsonAsync(string path, string json, HttpStatusCode expected = HttpStatusCode.OK)
        => _checks.PostJsonAsync(path, json, expected);

    private Task<JsonElement> GetJsonAsync(string path, HttpStatusCode expected = HttpStatusCode.OK) => _checks.GetJsonAsync(path, expected);

    [Fact]
    public async Task Primitives_NamedPositionalPathAndQueryArguments()
    {
        Assert.Equal(5, (await PostJsonAsync("/demo/add", """{"b": 3, "a": 2}""")).GetInt32());
        Assert.Equal(42, (await PostJsonAsync("/demo/add", "[40, 2]")).GetInt32());
        Assert.Equal("[0,1,2]", (await GetJsonAsync("/demo/range?n=3")).GetRawText());
        var scalars = await PostJsonAsync("/demo/scalars", """{"t": true, "b": -1, "s": 300, "i": -70000, "l": 3000069741, "f": 3.75, "d": 1}""");
        Assert.Equal("""{"tars_ret":3000000045.75,"sum":3000000040}""", scalars.GetRawText());
    }

    [Fact]
    public async Task StringsListsMapsNestedStructs_RoundTripAsJson()
    {
        var user = """{"id":7,"name":"user-7","tags":["a","b"],"address":{"city":"Shenzhen","zip":518000},"scores":{"math":90,"art":-3},"note":"s1"}""";
        Assert.Equal(user, (await GetJsonAsync("/demo/users/7")).GetRawText());
        Assert.Equal(user, (await PostJsonAsync("/demo/users", $$"""{"user": {{user}}}""")).GetRawText());
        var counts = await PostJsonAsync("/demo/count", """{"words": ["héllo", "😀", "héllo"]}""");
        Assert.Equal(2, counts.GetProperty("héllo").GetInt64());
        Assert.Equal(1, counts.GetProperty("😀").GetInt64());
        Assert.Equal("""{"first":"y","second":"x"}""", (await PostJsonAsync("/demo/swap", """{"a": "x", "b": "y"}""")).GetRawText());

        // Structs declared in config read the server's User by tag: id (0) and address (3) as home.
        Assert.Equal("""{"id":9,"home":{"city":"Lyon"}}""",
            (await PostJsonAsync("/demo/address", """{"user": {"id": 9, "home": {"city": "Lyon"}}}""")).GetRawText());
    }

    [Fact]
    public async Task LargePayloads_BothWays()
    {
        Assert.Equal(3_000_000, (await PostJsonAsync("/demo/repeat", """{"text": "abc", "count": 1000000}""")).GetString()!.Length);
        var data = new byte[1_000_000];
        Random.Shared.NextBytes(data);
        var reversed = Convert.FromBase64String((await PostJsonAsync("/demo/bytes", $$"""{"data": "{{Convert.ToBase64String(data)}}"}""")).GetString()!);
        Array.Reverse(reversed);
        Assert.Equal(data, reversed);
    }

    [Fact]
    public async Task JsonMode_BodyAndAnswerPassThrough()
        => Assert.Equal("""{"tars_ret":42}""", (await PostJsonAsync("/demo/json/add", """{"a": 40, "b": 2}""")).GetRawText());

    [Fact]
    public async Task BadArguments_400WithoutCallingTheServer()
    {
        var problem = await PostJsonAsync("/demo/add", """{"a": "x", "b": 1}""", HttpStatusCode.BadRequest);
        Assert.Equal("bad_request", problem.GetProperty("code").GetString());
        Assert.Contains("argument 'a' (int)", problem.GetProperty("detail").GetString());
        problem = await PostJsonAsync("/demo/add", """{"a": 1, "c": 1}""", HttpStatusCode.BadRequest);
        Assert.Contains("no parameter 'c'", problem.GetProperty("detail").GetString());
        problem = await PostJsonAsync("/demo/add", "[1]", HttpStatusCode.BadRequest);
        Assert.Contains("takes 2 argument(s)", problem.GetProperty("detail").GetString());
        problem = await PostJsonAsync("/demo/json/add", "{not json", HttpStatusCode.BadRequest);
        Assert.Contains("not JSON", problem.GetProperty("detail").GetString());
    }

    [Theory]
    [InlineData(-1, HttpStatusCode.BadGateway, "upstream_error", "TARSSERVERDECODEERR")]
    [InlineData(-4, HttpStatusCode.BadGateway, "upstream_error", "TARSSERVERNOSERVANTERR")]
    [InlineData(-99, HttpStatusCode.BadGateway, "upstream_error", "TARSSERVERUNKNOWNERR")]
    [InlineData(1001, HttpStatusCode.BadGateway, "upstream_error", "Tars return code 1001")]
    [InlineData(-6, HttpStatusCode.GatewayTimeout, "upstream_timeout", null)]
    [InlineData(-7, HttpStatusCode.GatewayTimeout, "upstream_timeout", null)]
    public async Task ServerReturnCodes_MapToProblemJson(int code, HttpStatusCode status, string problemCode, string? detail)
    {
        var problem = await PostJsonAsync("/demo/fail", $$"""{"code": {{code}}, "message": "order 17 not found"}""", status);
        Assert.Equal(problemCode, problem.GetProperty("code").GetString());
        if (detail is not null)
        {
            Assert.Contains(detail, problem.GetProperty("detail").GetString());
            Assert.Contains("order 17 not found", problem.GetProperty("detail").GetString());
        }

        // The connection is fine afterwards.
        Assert.Equal(3, (await PostJsonAsync("/demo/add", "[1, 2]")).GetInt32());
    }

    [Fact]
    public async Task UnknownFunction_502NamesNoFunction()
    {
        var problem = await PostJsonAsync("/demo/missing", "{}", HttpStatusCode.BadGateway);
        Assert.Contains("-3 (TARSSERVERNOFUNCERR)", problem.GetProperty("detail").GetString());
    }

    [Fact]
    public Task SlowServer_504UpstreamTimeout() => _checks.SlowNodeTimesOutAsync();

    [Fact]
    public async Task HeadersAndTraceContext_TravelInTheContext()
    {
        var context = await _checks.SendTracedAsync("/demo/whoami", "req-tars-1");

        Assert.Equal("s1", context.GetProperty("node").GetString());
        Assert.Equal("t-9", context.GetProperty("x-tenant").GetString());
        Assert.Equal("req-tars-1", context.GetProperty("x-request-id").GetString());
        RpcGatewayChecks.AssertTraceContinued(context.GetProperty("traceparent").GetString()!);
    }

    [Fact]
    public Task ServerKilledMidCall_502ThenCallsGoToTheOtherNode()
        => _checks.NodeKilledMidCallAsync("/pair/users/1", user => user.GetProperty("note").GetString(), [("s1", _s1.Kill), ("s2", _s2.Kill)]);

    [Fact]
    public async Task GrayRouting_AppliesAsToHttpApis()
    {
        for (var i = 0; i < 4; i++)
        {
            Assert.Equal("s1", (await GetJsonAsync("/grayed/users/1")).GetProperty("note").GetString());
            using var request = new HttpRequestMessage(HttpMethod.Get, "/grayed/users/1");
            request.Headers.Add("gray", "v2");
            using var response = await _gateway.Client.SendAsync(request);
            Assert.Equal("s2", (await RpcGatewayChecks.ReadAsync(response, HttpStatusCode.OK)).GetProperty("note").GetString());
        }
    }

    [Fact]
    public Task Policies_RateLimitAndMetrics_ApplyAsToHttpApis()
        => _checks.RateLimitAndMetricsApplyAsync("/pair/limited/1", "/pair/limited/2", "/pair/limited/3");
}
