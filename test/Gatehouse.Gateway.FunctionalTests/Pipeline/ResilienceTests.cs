using System.Diagnostics;
using System.Net;
using System.Text.Json;
using Gatehouse.Gateway.FunctionalTests.Infrastructure;
using Microsoft.AspNetCore.Http;

namespace Gatehouse.Gateway.FunctionalTests.Pipeline;

/// <summary>Circuit breakers, retries and the whole-request timeout through a real gateway and real backends.</summary>
public class ResilienceTests
{
    private static HttpRequestMessage Request(HttpMethod method, string path = "/x")
    {
        var request = new HttpRequestMessage(method, path);
        request.Headers.Add("serviceName", "s");
        if (method == HttpMethod.Post)
        {
            request.Content = new StringContent("body");
        }

        return request;
    }

    private static async Task<(HttpStatusCode Status, string? Code, HttpResponseMessage Response)> SendAsync(GatewayTestHost gw, HttpMethod? method = null)
    {
        var response = await gw.Client.SendAsync(Request(method ?? HttpMethod.Get));
        string? code = null;
        if (response.Content.Headers.ContentType?.MediaType == "application/problem+json")
        {
            code = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("code").GetString();
        }

        return (response.StatusCode, code, response);
    }

    // Passive health checks are off here so that a failing node keeps receiving the attempts these tests count.
    private static string OneNode(string address, string policy) => $$"""
        services:
          - name: s
            healthCheck: { passive: { enabled: false } }
            nodes: [ { id: n1, address: "{{address}}" } ]
            apis:
              - id: api
                path: "/**"
                policy: {{policy}}
        """;

    [Theory]
    [InlineData("status503")]
    [InlineData("connectionReset")]
    public async Task Breaker_FailingBackend_OpensWithoutHittingBackend_ProbeClosesAfterRecovery(string failure)
    {
        var failing = true;
        await using var backend = await EchoBackend.StartAsync("b", async context =>
        {
            if (!Volatile.Read(ref failing))
            {
                await context.Response.WriteAsync("ok");
            }
            else if (failure == "status503")
            {
                context.Response.StatusCode = 503;
            }
            else
            {
                context.Abort();
            }
        });
        await using var gw = await GatewayTestHost.StartAsync(OneNode(backend.Address,
            "{ retry: { maxAttempts: 1 }, circuitBreaker: { minimumThroughput: 4, failureRatio: 0.5, openMs: 1500, halfOpenProbes: 1 } }"));

        var expected = failure == "status503" ? HttpStatusCode.ServiceUnavailable : HttpStatusCode.BadGateway;
        for (var i = 0; i < 4; i++)
        {
            Assert.Equal(expected, (await SendAsync(gw)).Status);
        }

        // Open: answered at once, the backend never sees these.
        for (var i = 0; i < 5; i++)
        {
            var (status, code, response) = await SendAsync(gw);
            Assert.Equal(HttpStatusCode.ServiceUnavailable, status);
            Assert.Equal("circuit_open", code);
            Assert.InRange(int.Parse(response.Headers.GetValues("Retry-After").Single()), 1, 2);
        }

        Assert.Equal(4, backend.RequestCount);

        // The backend recovers; after openMs one probe is let through and closes the breaker.
        Volatile.Write(ref failing, false);
        await Task.Delay(1600);
        Assert.Equal(HttpStatusCode.OK, (await SendAsync(gw)).Status);
        Assert.Equal(5, backend.RequestCount);
        for (var i = 0; i < 3; i++)
        {
            Assert.Equal(HttpStatusCode.OK, (await SendAsync(gw)).Status);
        }

        Assert.Equal(8, backend.RequestCount);
        var transitions = gw.Logs.Entries.Where(e => e.EventId.Id == 1101).Select(e => e.Message).ToArray();
        Assert.Equal(3, transitions.Length); // one line per transition, not per request
        Assert.Contains("Closed -> Open", transitions[0]);
        Assert.Contains("Open -> HalfOpen", transitions[1]);
        Assert.Contains("HalfOpen -> Closed", transitions[2]);
    }

    [Fact]
    public async Task Breaker_SlowBackend_SlowCallRatioOpens()
    {
        await using var backend = await EchoBackend.StartAsync("b", async context =>
        {
            await Task.Delay(300);
            await context.Response.WriteAsync("slow");
        });
        await using var gw = await GatewayTestHost.StartAsync(OneNode(backend.Address,
            "{ circuitBreaker: { minimumThroughput: 3, slowCallRatio: 0.6, slowCallMs: 150, openMs: 60000 } }"));

        for (var i = 0; i < 3; i++)
        {
            Assert.Equal(HttpStatusCode.OK, (await SendAsync(gw)).Status);
        }

        var (status, code, _) = await SendAsync(gw);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, status);
        Assert.Equal("circuit_open", code);
        Assert.Equal(3, backend.RequestCount);
    }

    [Fact]
    public async Task Breaker_ApiNodeScope_OpenNodeSkipped_OtherNodeServes()
    {
        await using var bad = await EchoBackend.StartAsync("bad", context =>
        {
            context.Response.StatusCode = 503;
            return Task.CompletedTask;
        });
        await using var good = await EchoBackend.StartAsync("good");
        await using var gw = await GatewayTestHost.StartAsync($$"""
            services:
              - name: s
                policy:
                  retry: { maxAttempts: 1 }
                  circuitBreaker: { scope: apiNode, minimumThroughput: 2, openMs: 60000 }
                nodes:
                  - { id: bad, address: "{{bad.Address}}" }
                  - { id: good, address: "{{good.Address}}" }
                apis: [ { id: api, path: "/**" } ]
            """);

        // Round robin: the bad node takes every other request until its own breaker opens after two failures.
        for (var i = 0; i < 4; i++)
        {
            await SendAsync(gw);
        }

        Assert.Equal(2, bad.RequestCount);
        for (var i = 0; i < 10; i++)
        {
            Assert.Equal(HttpStatusCode.OK, (await SendAsync(gw)).Status);
        }

        Assert.Equal(2, bad.RequestCount);
        Assert.Equal(12, good.RequestCount);
    }

    [Fact]
    public async Task Retry_DeadNodes_GetTriesEveryOtherNode_PostWithinMaxAttempts()
    {
        await using var alive = await EchoBackend.StartAsync("alive");
        var dead1 = $"http://127.0.0.1:{FreePort.Next()}";
        var dead2 = $"http://127.0.0.1:{FreePort.Next()}";
        await using var gw = await GatewayTestHost.StartAsync($$"""
            services:
              - name: s
                policy: { retry: { maxAttempts: 3 } }
                healthCheck: { passive: { enabled: false } }
                nodes:
                  - { id: dead1, address: "{{dead1}}" }
                  - { id: dead2, address: "{{dead2}}" }
                  - { id: alive, address: "{{alive.Address}}" }
                apis: [ { id: api, path: "/**" } ]
            """);

        // Whichever node a GET starts at, three attempts at three different nodes reach the live one.
        for (var i = 0; i < 6; i++)
        {
            Assert.Equal(HttpStatusCode.OK, (await SendAsync(gw)).Status);
        }

        Assert.Equal(6, alive.RequestCount);

        var posts = new List<HttpStatusCode>();
        for (var i = 0; i < 3; i++)
        {
            posts.Add((await SendAsync(gw, HttpMethod.Post)).Status);
        }

        // A refused connect sent nothing, so a POST is retried like a GET (ConnectFailureRetryTests covers the rule).
        Assert.All(posts, s => Assert.Equal(HttpStatusCode.OK, s));
        Assert.Equal(9, alive.RequestCount);
    }

    [Fact]
    public async Task Retry_OnStatus_GetRetriedOnOtherNodeWithoutRelaying503_PostRelayed()
    {
        await using var bad = await EchoBackend.StartAsync("bad", context =>
        {
            context.Response.StatusCode = 503;
            return Task.CompletedTask;
        });
        await using var good = await EchoBackend.StartAsync("good");
        await using var gw = await GatewayTestHost.StartAsync($$"""
            services:
              - name: s
                policy: { retry: { onStatuses: [503] } }
                nodes:
                  - { id: bad, address: "{{bad.Address}}" }
                  - { id: good, address: "{{good.Address}}" }
                apis: [ { id: api, path: "/**" } ]
            """);

        for (var i = 0; i < 6; i++)
        {
            var (status, _, response) = await SendAsync(gw);
            Assert.Equal(HttpStatusCode.OK, status);
            Assert.StartsWith("good|GET", await response.Content.ReadAsStringAsync());
        }

        Assert.Equal(3, bad.RequestCount);

        var posts = new List<HttpStatusCode>();
        for (var i = 0; i < 2; i++)
        {
            posts.Add((await SendAsync(gw, HttpMethod.Post)).Status);
        }

        Assert.Contains(HttpStatusCode.ServiceUnavailable, posts);
    }

    [Fact]
    public async Task Retry_BudgetExhausted_NoRetry()
    {
        await using var alive = await EchoBackend.StartAsync("alive");
        var dead = $"http://127.0.0.1:{FreePort.Next()}";
        await using var gw = await GatewayTestHost.StartAsync($$"""
            services:
              - name: s
                policy: { retry: { budgetPercent: 0, minRetriesPerSecond: 1 } }
                healthCheck: { passive: { enabled: false } }
                nodes:
                  - { id: dead, address: "{{dead}}" }
                  - { id: alive, address: "{{alive.Address}}" }
                apis: [ { id: api, path: "/**" } ]
            """);

        // The budget allows 10 retries in its 10 s window (1 per second, no share of traffic). Round robin sends
        // every other GET to the dead node first: the first 10 of those are retried, the other 5 fail.
        var statuses = new List<HttpStatusCode>();
        for (var i = 0; i < 30; i++)
        {
            statuses.Add((await SendAsync(gw)).Status);
        }

        Assert.Equal(5, statuses.Count(s => s == HttpStatusCode.BadGateway));
        Assert.All(statuses.Take(20), s => Assert.Equal(HttpStatusCode.OK, s));
        Assert.Equal(10, gw.Logs.Entries.Count(e => e.EventId.Id == 1002));
    }

    [Fact]
    public async Task RequestTimeout_BeforeHeaders_504_AfterResponseStarted_Reset()
    {
        await using var backend = await EchoBackend.StartAsync("b", async context =>
        {
            if (context.Request.Path == "/late-headers")
            {
                await Task.Delay(5000, context.RequestAborted);
                return;
            }

            context.Response.ContentLength = 1000;
            await context.Response.WriteAsync("first part");
            await context.Response.Body.FlushAsync();
            await Task.Delay(5000, context.RequestAborted);
        });
        await using var gw = await GatewayTestHost.StartAsync(OneNode(backend.Address, "{ timeouts: { requestMs: 400 } }"));

        var watch = Stopwatch.StartNew();
        var response = await gw.Client.SendAsync(Request(HttpMethod.Get, "/late-headers"));
        Assert.Equal(HttpStatusCode.GatewayTimeout, response.StatusCode);
        Assert.Equal("upstream_timeout", JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("code").GetString());
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(4), $"took {watch.Elapsed}");

        using var started = await gw.Client.SendAsync(Request(HttpMethod.Get, "/late-body"), HttpCompletionOption.ResponseHeadersRead);
        Assert.Equal(HttpStatusCode.OK, started.StatusCode);
        await Assert.ThrowsAnyAsync<Exception>(async () => await started.Content.ReadAsByteArrayAsync());
    }

    [Fact]
    public async Task Breaker_ReloadWithUnchangedBreaker_StaysOpen_ChangedBreakerStartsClosed()
    {
        await using var backend = await EchoBackend.StartAsync("b", context =>
        {
            context.Response.StatusCode = 503;
            return Task.CompletedTask;
        });
        const string policy = "{ retry: { maxAttempts: 1 }, circuitBreaker: { minimumThroughput: 2, openMs: 60000 } }";
        await using var gw = await GatewayTestHost.StartAsync(OneNode(backend.Address, policy));
        await SendAsync(gw);
        await SendAsync(gw);
        Assert.Equal("circuit_open", (await SendAsync(gw)).Code);

        // Another part of the config changes; the API's breaker does not: it stays open.
        await gw.ReloadAsync(OneNode(backend.Address, policy) + "\noriginMappings: [ { pathPrefix: /x, service: s } ]\n");
        Assert.Equal("circuit_open", (await SendAsync(gw)).Code);
        Assert.Equal(2, backend.RequestCount);

        await gw.ReloadAsync(OneNode(backend.Address, policy.Replace("60000", "50000")));
        Assert.Equal(HttpStatusCode.ServiceUnavailable, (await SendAsync(gw)).Status);
        Assert.Equal(3, backend.RequestCount);
    }

    [Fact]
    public async Task Retry_RetryableApi_PostToDeadNodeRetriedWithItsWholeBody()
    {
        var bodies = new System.Collections.Concurrent.ConcurrentQueue<string>();
        await using var alive = await EchoBackend.StartAsync("alive", async context =>
        {
            using var reader = new StreamReader(context.Request.Body);
            bodies.Enqueue(await reader.ReadToEndAsync());
        });
        var dead = $"http://127.0.0.1:{FreePort.Next()}";
        await using var gw = await GatewayTestHost.StartAsync($$"""
            services:
              - name: s
                nodes:
                  - { id: dead, address: "{{dead}}" }
                  - { id: alive, address: "{{alive.Address}}" }
                apis: [ { id: api, path: "/**", policy: { retry: { retryable: true } } } ]
            """);

        for (var i = 0; i < 4; i++)
        {
            Assert.Equal(HttpStatusCode.OK, (await SendAsync(gw, HttpMethod.Post)).Status);
        }

        // Nothing of a body goes out before the connection exists, so the retry sends it whole.
        Assert.Equal(["body", "body", "body", "body"], bodies.ToArray());
    }

    [Fact]
    public async Task Retry_OnResponseHeadersTimeout_GetRetriedOnOtherNode()
    {
        await using var stuck = await EchoBackend.StartAsync("stuck", context => Task.Delay(5000, context.RequestAborted));
        await using var good = await EchoBackend.StartAsync("good");
        await using var gw = await GatewayTestHost.StartAsync($$"""
            services:
              - name: s
                policy: { timeouts: { responseHeadersMs: 300 }, retry: { onResponseHeadersTimeout: true } }
                nodes:
                  - { id: stuck, address: "{{stuck.Address}}" }
                  - { id: good, address: "{{good.Address}}" }
                apis: [ { id: api, path: "/**" } ]
            """);

        for (var i = 0; i < 2; i++)
        {
            Assert.Equal(HttpStatusCode.OK, (await SendAsync(gw)).Status);
        }

        Assert.Equal(1, stuck.RequestCount);
        Assert.Equal(2, good.RequestCount);
    }
}
