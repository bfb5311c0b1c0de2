using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Text.Json;
using Gatehouse.Gateway.FunctionalTests.Infrastructure;
using Microsoft.AspNetCore.Http;

namespace Gatehouse.Gateway.FunctionalTests.Auth;

/// <summary>
/// The login-state check through a real gateway, with a real session service and a backend on loopback. The
/// session service answers by token: <c>tok-alice</c>/<c>tok-bob</c> are logged in, <c>tok-held</c> waits until the
/// test releases it, <c>tok-500</c>, <c>tok-slow</c> and <c>tok-badjson</c> misbehave, anything else is 401.
/// </summary>
public class LoginTests : IAsyncLifetime
{
    private const string UserIdHeader = "X-Gatehouse-User-Id";
    private readonly ConcurrentDictionary<string, int> _calls = new();
    private readonly ConcurrentQueue<(string Method, string? Accept)> _requests = new();
    private readonly TaskCompletionSource _release = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private TestBackend _sessions = null!;
    private EchoBackend _backend = null!;
    private GatewayTestHost _gateway = null!;
    private int _closedPort;

    public async Task InitializeAsync()
    {
        _sessions = await TestBackend.StartAsync(async context =>
        {
            var token = context.Request.Headers["X-Gatehouse-Session-Token"].ToString();
            _calls.AddOrUpdate(token, 1, (_, n) => n + 1);
            _requests.Enqueue((context.Request.Method, context.Request.Headers.Accept.ToString()));
            switch (token)
            {
                case "tok-alice" or "tok-bob":
                    await context.Response.WriteAsJsonAsync(new { userId = token[4..], displayName = "Someone" });
                    break;
                case "tok-held":
                    await _release.Task;
                    await context.Response.WriteAsJsonAsync(new { userId = "held" });
                    break;
                case "tok-500":
                    context.Response.StatusCode = 500;
                    break;
                case "tok-slow":
                    await Task.Delay(TimeSpan.FromSeconds(20), context.RequestAborted);
                    break;
                case "tok-badjson":
                    await context.Response.WriteAsync("<html>login page</html>");
                    break;
                default:
                    context.Response.StatusCode = 401;
                    break;
            }
        });
        _backend = await EchoBackend.StartAsync("b");
        _closedPort = FreePort.Next();
        _gateway = await GatewayTestHost.StartAsync(Config());
    }

    private string Config(string extraApi = "") => $$"""
        services:
          - name: svc
            policy:
              auth:
                login:
                  checkUri: "{{_sessions.BaseAddress}}/check"
                  tokenHeader: X-Session-Token
                  tokenCookie: SESSION
                  cacheMs: 60000
                  negativeCacheMs: 60000
                  timeoutMs: 1000
            nodes: [ { id: n1, address: "{{_backend.Address}}" } ]
            apis:
              - { id: api, path: "/api/**" }
              - { id: short, path: "/short/**", policy: { auth: { login: { checkUri: "{{_sessions.BaseAddress}}/check", tokenHeader: X-Session-Token, cacheMs: 3000 } } } }
              - { id: public, path: "/public/**", policy: { auth: { login: { required: false } } } }
              - { id: patient, path: "/patient/**", policy: { auth: { login: { checkUri: "{{_sessions.BaseAddress}}/check", tokenHeader: X-Session-Token, timeoutMs: 20000 } } } }
              {{extraApi}}
          - name: down
            policy: { auth: { login: { checkUri: "http://127.0.0.1:{{_closedPort}}/check", tokenHeader: X-Session-Token } } }
            nodes: [ { id: n1, address: "{{_backend.Address}}" } ]
            apis: [ { id: api, path: "/api/**" } ]
        """;

    public async Task DisposeAsync()
    {
        _release.TrySetResult();
        await _gateway.DisposeAsync();
        await _backend.DisposeAsync();
        await _sessions.DisposeAsync();
    }

    private int Calls(string token) => _calls.GetValueOrDefault(token);

    private async Task<HttpResponseMessage> SendAsync(string path, string? token = null, string? cookie = null, string service = "svc",
        string? spoofedUser = null)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, path);
        request.Headers.Add("serviceName", service);
        if (token is not null)
        {
            request.Headers.Add("X-Session-Token", token);
        }

        if (cookie is not null)
        {
            request.Headers.Add("Cookie", cookie);
        }

        if (spoofedUser is not null)
        {
            request.Headers.Add(UserIdHeader, spoofedUser);
        }

        return await _gateway.Client.SendAsync(request);
    }

    private static async Task AssertProblemAsync(HttpResponseMessage response, HttpStatusCode status, string code)
    {
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == status, $"expected {(int)status}, got {(int)response.StatusCode}: {body}");
        Assert.Equal(code, JsonDocument.Parse(body).RootElement.GetProperty("code").GetString());
    }

    [Fact]
    public async Task HeaderToken_LoggedIn_UserIdForwarded()
    {
        using var response = await SendAsync("/api/me", token: "tok-alice");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("alice", Assert.Single(_backend.Seen).Header(UserIdHeader));
        var (method, accept) = Assert.Single(_requests);
        Assert.Equal("GET", method);
        Assert.Equal("application/json", accept);
    }

    [Fact]
    public async Task CookieToken_LoggedIn_UserIdForwarded()
    {
        using var response = await SendAsync("/api/me", cookie: "theme=dark; SESSION=tok-bob; lang=en");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("bob", Assert.Single(_backend.Seen).Header(UserIdHeader));
        Assert.Equal(1, Calls("tok-bob"));
    }

    [Fact]
    public async Task UnknownToken_Unauthorized_BackendNotCalled()
    {
        using var response = await SendAsync("/api/me", token: "tok-mallory");

        await AssertProblemAsync(response, HttpStatusCode.Unauthorized, "unauthorized");
        Assert.Equal("Session", Assert.Single(response.Headers.WwwAuthenticate).Scheme);
        Assert.Equal(1, Calls("tok-mallory"));
        Assert.Equal(0, _backend.RequestCount);
    }

    [Fact]
    public async Task MissingToken_Unauthorized_SessionServiceNotCalled()
    {
        using var response = await SendAsync("/api/me", cookie: "theme=dark");

        await AssertProblemAsync(response, HttpStatusCode.Unauthorized, "unauthorized");
        Assert.Empty(_requests);
        Assert.Equal(0, _backend.RequestCount);
    }

    [Fact]
    public async Task SpoofedUserIdHeader_Stripped_OnLoginAndOnPublicApis()
    {
        using (var response = await SendAsync("/api/me", token: "tok-alice", spoofedUser: "root"))
        {
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }

        using (var response = await SendAsync("/public/page", spoofedUser: "root"))
        {
            // Login is switched off on this API: no token needed, and still no caller-chosen user id.
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }

        var seen = _backend.Seen.ToArray();
        Assert.Equal(2, seen.Length);
        Assert.Equal("alice", seen[0].Header(UserIdHeader));
        Assert.Null(seen[1].Header(UserIdHeader));
        Assert.Single(_requests);
    }

    [Fact]
    public async Task SecondRequestWithinCacheMs_NoNewCall_RefusalsCachedToo()
    {
        for (var i = 0; i < 3; i++)
        {
            using var ok = await SendAsync("/api/me", token: "tok-alice");
            Assert.Equal(HttpStatusCode.OK, ok.StatusCode);
            using var refused = await SendAsync("/api/me", token: "tok-mallory");
            Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);
        }

        Assert.Equal(1, Calls("tok-alice"));
        Assert.Equal(1, Calls("tok-mallory"));
        Assert.All(_backend.Seen, seen => Assert.Equal("alice", seen.Header(UserIdHeader)));
    }

    [Fact]
    public async Task AfterCacheMs_AskedAgain()
    {
        // /short caches for 3 s. The second request normally comes well within that (asserted when it did).
        var watch = Stopwatch.StartNew();
        using (await SendAsync("/short/a", token: "tok-alice"))
        using (await SendAsync("/short/b", token: "tok-alice"))
        {
        }

        var callsBefore = Calls("tok-alice");
        if (watch.Elapsed < TimeSpan.FromSeconds(2.5))
        {
            Assert.Equal(1, callsBefore);
        }

        // Every answer stored so far is now older than 3 s.
        await Task.Delay(TimeSpan.FromSeconds(3.3));
        using var response = await SendAsync("/short/c", token: "tok-alice");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(callsBefore + 1, Calls("tok-alice"));
    }

    [Fact]
    public async Task ConcurrentRequestsWithOneUncachedToken_OneCall()
    {
        var requests = Enumerable.Range(0, 20).Select(i => SendAsync($"/patient/{i}", token: "tok-held")).ToArray();
        await GatewayTestHost.WaitUntilAsync(() => Task.FromResult(Calls("tok-held") > 0), TimeSpan.FromSeconds(20), "the session service was asked");

        // Give the other requests time to reach the gateway while the first check is held.
        await Task.Delay(TimeSpan.FromSeconds(1));
        _release.SetResult();
        var responses = await Task.WhenAll(requests);

        Assert.All(responses, response => Assert.Equal(HttpStatusCode.OK, response.StatusCode));
        Assert.Equal(1, Calls("tok-held"));
        Assert.Equal(20, _backend.RequestCount);
        Assert.All(_backend.Seen, seen => Assert.Equal("held", seen.Header(UserIdHeader)));
        foreach (var response in responses)
        {
            response.Dispose();
        }
    }

    [Fact]
    public async Task SessionServiceDown_ServiceUnavailable()
    {
        using var response = await SendAsync("/api/me", token: "tok-alice", service: "down");

        await AssertProblemAsync(response, HttpStatusCode.ServiceUnavailable, "login_check_unavailable");
        Assert.Equal(0, _backend.RequestCount);
    }

    [Fact]
    public async Task SessionServiceFails_ServiceUnavailable_NotCached_TokenNotLogged()
    {
        using (var response = await SendAsync("/api/me", token: "tok-500"))
        {
            await AssertProblemAsync(response, HttpStatusCode.ServiceUnavailable, "login_check_unavailable");
        }

        using (var response = await SendAsync("/api/me", token: "tok-500"))
        {
            await AssertProblemAsync(response, HttpStatusCode.ServiceUnavailable, "login_check_unavailable");
        }

        Assert.Equal(2, Calls("tok-500"));
        Assert.Equal(0, _backend.RequestCount);
        Assert.True(_gateway.Logs.Has(4111));
        Assert.DoesNotContain(_gateway.Logs.Entries, entry => entry.Message.Contains("tok-500", StringComparison.Ordinal));
    }

    [Fact]
    public async Task SessionServiceSlow_ServiceUnavailableAfterTimeout()
    {
        var watch = Stopwatch.StartNew();
        using var response = await SendAsync("/api/me", token: "tok-slow");

        await AssertProblemAsync(response, HttpStatusCode.ServiceUnavailable, "login_check_unavailable");
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(10), $"took {watch.Elapsed}; timeoutMs is 1000");
        Assert.Equal(0, _backend.RequestCount);
    }

    [Fact]
    public async Task SessionServiceAnswersNonsense_ServiceUnavailable()
    {
        using var response = await SendAsync("/api/me", token: "tok-badjson");

        await AssertProblemAsync(response, HttpStatusCode.ServiceUnavailable, "login_check_unavailable");
        Assert.Equal(0, _backend.RequestCount);
    }

    [Fact]
    public async Task ConfigReload_CachedAnswersKept()
    {
        using (var first = await SendAsync("/api/me", token: "tok-alice"))
        {
            Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        }

        await _gateway.ReloadAsync(Config("""- { id: extra, path: "/extra/**" }"""));
        using var second = await SendAsync("/api/me", token: "tok-alice");

        Assert.Equal(HttpStatusCode.OK, second.StatusCode);
        Assert.Equal(1, Calls("tok-alice"));
    }
}
