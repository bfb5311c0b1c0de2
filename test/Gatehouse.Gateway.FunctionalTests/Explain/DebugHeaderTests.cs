using System.Net;
using Gatehouse.Core.Security;
using Gatehouse.Gateway.FunctionalTests.Infrastructure;

namespace Gatehouse.Gateway.FunctionalTests.Explain;

/// <summary>
/// The opt-in route header: a request with a valid debug token for the group gets <c>X-Gatehouse-Route</c>; any other
/// request gets nothing, and the token never reaches a node.
/// </summary>
public sealed class DebugHeaderTests : IAsyncLifetime
{
    private EchoBackend _live = null!;
    private GatewayTestHost _gw = null!;

    public async Task InitializeAsync()
    {
        _live = await EchoBackend.StartAsync("live");
        _gw = await ExplainKit.StartAsync($$"""
            services:
              - name: s
                healthCheck: { enabled: false }
                nodes: [ { id: live, address: "{{_live.Address}}" } ]
                apis: [ { id: all, path: "/**" } ]
              - name: flaky
                healthCheck: { enabled: false, passive: { enabled: false } }
                nodes:
                  - { id: refused, address: "http://127.0.0.1:9" }
                  - { id: live, address: "{{_live.Address}}" }
                apis: [ { id: get, path: "/**", methods: [GET] } ]
            """);
    }

    public async Task DisposeAsync()
    {
        await _gw.DisposeAsync();
        await _live.DisposeAsync();
    }

    private static string Token(string secret = ExplainKit.Secret, string group = "default", TimeSpan? lifetime = null) =>
        DebugToken.Issue(secret, group, DateTimeOffset.UtcNow + (lifetime ?? TimeSpan.FromMinutes(5)));

    private async Task<HttpResponseMessage> SendAsync(string service, string? token, string path = "/x")
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, path);
        request.Headers.Add("serviceName", service);
        if (token is not null)
        {
            request.Headers.Add(DebugToken.Header, token);
        }

        return await _gw.Client.SendAsync(request);
    }

    private static string? Route(HttpResponseMessage response) =>
        response.Headers.TryGetValues(DebugToken.RouteHeader, out var values) ? string.Join(",", values) : null;

    [Fact]
    public async Task ValidToken_ResponseNamesServiceApiNodeAndAttempts_TokenNotForwarded()
    {
        using var response = await SendAsync("s", Token());

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("service=s; api=all; node=live; attempts=1", Route(response));
        Assert.All(_live.Seen, seen => Assert.False(seen.Headers.ContainsKey(DebugToken.Header)));
        Assert.NotEmpty(_live.Seen);
    }

    [Fact]
    public async Task ValidToken_RetriedRequest_CountsBothAttempts()
    {
        // Round robin sends one of two requests to the refusing node first; the retry lands on the live one.
        var routes = new List<string?>();
        for (var i = 0; i < 2; i++)
        {
            using var response = await SendAsync("flaky", Token());
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            routes.Add(Route(response));
        }

        Assert.Contains("service=flaky; api=get; node=live; attempts=2", routes);
        Assert.Contains("service=flaky; api=get; node=live; attempts=1", routes);
    }

    [Fact]
    public async Task ValidToken_GatewayError_SaysHowFarTheRequestGot()
    {
        using (var unknown = await SendAsync("nope", Token()))
        {
            Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
            Assert.Equal("service=-; api=-; node=-; attempts=0", Route(unknown));
        }

        using var request = new HttpRequestMessage(HttpMethod.Post, "/x");
        request.Headers.Add("serviceName", "flaky");
        request.Headers.Add(DebugToken.Header, Token());
        using var methodRefused = await _gw.Client.SendAsync(request);
        Assert.Equal(HttpStatusCode.NotFound, methodRefused.StatusCode);
        Assert.Equal("service=flaky; api=-; node=-; attempts=0", Route(methodRefused));
    }

    public static TheoryData<string?> InvalidTokens() => new()
    {
        null,
        "",
        "garbage",
        Token(lifetime: TimeSpan.FromSeconds(-5)),                    // expired
        Token(secret: "some-other-secret-0123456789"),                // forged: not signed with the control secret
        Token(group: "other-group"),                                  // another group's token
        Token(lifetime: TimeSpan.FromDays(30)),                       // longer-lived than the admin may issue
        Token()[..^2] + (Token().EndsWith("00", StringComparison.Ordinal) ? "11" : "00"), // tampered signature
    };

    [Theory]
    [MemberData(nameof(InvalidTokens))]
    public async Task NoOrInvalidToken_NothingLeaks_AndTheHeaderIsNotForwarded(string? token)
    {
        var before = _live.Seen.Count;
        using var response = await SendAsync("s", token);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Null(Route(response));
        var seen = _live.Seen.Skip(before).Single();
        Assert.False(seen.Headers.ContainsKey(DebugToken.Header));
    }
}
