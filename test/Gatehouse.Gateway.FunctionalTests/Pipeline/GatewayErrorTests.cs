using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using Gatehouse.Gateway.FunctionalTests.Infrastructure;
using Microsoft.AspNetCore.Http;

namespace Gatehouse.Gateway.FunctionalTests.Pipeline;

/// <summary>Every error the gateway answers itself, through a real gateway on real sockets.</summary>
public class GatewayErrorTests
{
    private static async Task<JsonElement> AssertProblemAsync(HttpResponseMessage response, HttpStatusCode status, string code)
    {
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(status == response.StatusCode, $"expected {(int)status}, got {(int)response.StatusCode}: {body}");
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var json = JsonDocument.Parse(body).RootElement;
        Assert.Equal(code, json.GetProperty("code").GetString());
        Assert.Equal((int)status, json.GetProperty("status").GetInt32());
        Assert.Equal("urn:gatehouse:problem:" + code, json.GetProperty("type").GetString());
        Assert.False(string.IsNullOrEmpty(json.GetProperty("title").GetString()));
        Assert.Equal(response.Headers.GetValues("X-Request-Id").Single(), json.GetProperty("requestId").GetString());
        return json;
    }

    private static string Config(string address, string apiPath = "/api/**", string extraNode = "", string policy = "") => $$"""
        services:
          - name: svc
            {{policy}}
            nodes:
              - { id: n1, address: "{{address}}" }
              {{extraNode}}
            apis:
              - { id: api, path: "{{apiPath}}" }
        """;

    private static HttpRequestMessage Get(string path, string? service = "svc")
    {
        var request = new HttpRequestMessage(HttpMethod.Get, path);
        if (service is not null)
        {
            request.Headers.Add("serviceName", service);
        }

        return request;
    }

    [Fact]
    public async Task NoResolverApplies_ServiceNotFound404()
    {
        await using var gw = await GatewayTestHost.StartAsync(Config("http://127.0.0.1:9"));
        await AssertProblemAsync(await gw.Client.SendAsync(Get("/api/x", service: null)), HttpStatusCode.NotFound, "service_not_found");
    }

    [Fact]
    public async Task UnknownServiceName_ServiceNotFound404WithDetail()
    {
        await using var gw = await GatewayTestHost.StartAsync(Config("http://127.0.0.1:9"));
        var json = await AssertProblemAsync(await gw.Client.SendAsync(Get("/api/x", "nope")), HttpStatusCode.NotFound, "service_not_found");
        Assert.Contains("nope", json.GetProperty("detail").GetString());
    }

    [Fact]
    public async Task NoApiMatches_ApiNotFound404()
    {
        await using var gw = await GatewayTestHost.StartAsync(Config("http://127.0.0.1:9"));
        await AssertProblemAsync(await gw.Client.SendAsync(Get("/other")), HttpStatusCode.NotFound, "api_not_found");
    }

    [Fact]
    public async Task AllNodesOffline_NoAvailableNode503()
    {
        await using var gw = await GatewayTestHost.StartAsync(Config("http://127.0.0.1:9").Replace("address:", "online: false, address:"));
        await AssertProblemAsync(await gw.Client.SendAsync(Get("/api/x")), HttpStatusCode.ServiceUnavailable, "no_available_node");
    }

    [Fact]
    public async Task NoConfigFile_NoConfig503AndNotReady()
    {
        await using var gw = await GatewayTestHost.StartAsync(yaml: null);
        await AssertProblemAsync(await gw.Client.SendAsync(Get("/api/x")), HttpStatusCode.ServiceUnavailable, "no_config");
        Assert.Equal(HttpStatusCode.ServiceUnavailable, (await gw.Control.GetAsync("/readyz")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await gw.Control.GetAsync("/healthz")).StatusCode);

        // Creating the file later brings the gateway up without a restart.
        await gw.WriteConfigAsync(Config("http://127.0.0.1:9"));
        await GatewayTestHost.WaitUntilAsync(async () => (await gw.Control.GetAsync("/readyz")).IsSuccessStatusCode,
            TimeSpan.FromSeconds(10), "gateway became ready");
    }

    [Fact]
    public async Task NodeRefusesConnections_UpstreamUnreachable502()
    {
        await using var gw = await GatewayTestHost.StartAsync(Config($"http://127.0.0.1:{FreePort.Next()}"));
        await AssertProblemAsync(await gw.Client.SendAsync(Get("/api/x")), HttpStatusCode.BadGateway, "upstream_unreachable");
    }

    [Fact]
    public async Task NodeTooSlow_UpstreamTimeout504()
    {
        await using var slow = await EchoBackend.StartAsync("slow", async ctx => await Task.Delay(5000, ctx.RequestAborted));
        var policy = "policy: { timeouts: { responseHeadersMs: 300 } }";
        await using var gw = await GatewayTestHost.StartAsync(Config(slow.Address, policy: policy));
        var started = DateTime.UtcNow;
        await AssertProblemAsync(await gw.Client.SendAsync(Get("/api/x")), HttpStatusCode.GatewayTimeout, "upstream_timeout");
        Assert.True(DateTime.UtcNow - started < TimeSpan.FromSeconds(3));
    }

    [Fact]
    public async Task OversizedHeaders_431ProblemJson()
    {
        await using var backend = await EchoBackend.StartAsync("b");
        await using var gw = await GatewayTestHost.StartAsync(Config(backend.Address));
        var request = Get("/api/x");
        request.Headers.Add("X-Big", new string('a', 40 * 1024));
        await AssertProblemAsync(await gw.Client.SendAsync(request), HttpStatusCode.RequestHeaderFieldsTooLarge, "request_header_fields_too_large");
        Assert.Equal(0, backend.RequestCount);
    }

    [Fact]
    public async Task TooManyHeaders_431ProblemJson_LimitItselfAccepted()
    {
        await using var backend = await EchoBackend.StartAsync("b");
        await using var gw = await GatewayTestHost.StartAsync(Config(backend.Address), null,
            "--Gatehouse:Gateway:Limits:MaxRequestHeaderCount", "20");

        // HttpClient adds Host and serviceName is one: 2 + 18 = the limit, 2 + 19 is one over.
        static HttpRequestMessage WithHeaders(int extra)
        {
            var request = Get("/api/x");
            for (var i = 0; i < extra; i++)
            {
                request.Headers.Add($"X-H{i}", "v");
            }

            return request;
        }

        using var atLimit = await gw.Client.SendAsync(WithHeaders(18));
        Assert.Equal(HttpStatusCode.OK, atLimit.StatusCode);
        await AssertProblemAsync(await gw.Client.SendAsync(WithHeaders(19)), HttpStatusCode.RequestHeaderFieldsTooLarge, "request_header_fields_too_large");
        Assert.Equal(1, backend.RequestCount);
    }

    [Fact]
    public async Task MalformedChunkedBody_BadRequest400()
    {
        await using var backend = await EchoBackend.StartAsync("b", async ctx =>
        {
            var buffer = new byte[1024];
            while (await ctx.Request.Body.ReadAsync(buffer) > 0)
            {
            }

            await ctx.Response.WriteAsync("read");
        });
        await using var gw = await GatewayTestHost.StartAsync(Config(backend.Address));

        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await socket.ConnectAsync(IPAddress.Loopback, gw.Port);
        var raw = "POST /api/x HTTP/1.1\r\nHost: gw\r\nserviceName: svc\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\nZZ\r\n";
        await socket.SendAsync(Encoding.ASCII.GetBytes(raw));
        var response = await ReceiveAsync(socket, TimeSpan.FromSeconds(10));
        Assert.StartsWith("HTTP/1.1 400", response);
        Assert.Contains("\"code\":\"bad_request\"", response);
    }

    private static async Task<string> ReceiveAsync(Socket socket, TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        var buffer = new byte[16 * 1024];
        var text = new StringBuilder();
        try
        {
            int read;
            while ((read = await socket.ReceiveAsync(buffer, SocketFlags.None, cts.Token)) > 0)
            {
                text.Append(Encoding.ASCII.GetString(buffer, 0, read));
                if (text.ToString().Contains("}"))
                {
                    break;
                }
            }
        }
        catch (SocketException)
        {
            // Connection reset after the response: what was read is the answer.
        }

        return text.ToString();
    }
}
