using System.Net;
using System.Text.Json;
using Gatehouse.Gateway.FunctionalTests.Infrastructure;
using Gatehouse.Testing;
using Microsoft.AspNetCore.Http;
using static Gatehouse.Gateway.FunctionalTests.Plugins.PluginTestKit;

namespace Gatehouse.Gateway.FunctionalTests.Plugins;

/// <summary>
/// The body phase of the plugin contract, on real sockets, with a third-party filter that knows nothing but the
/// contract (test/plugins/BodyRewrite, loaded from a plugins directory into its own load context): the node's body is collected for it, rewritten, and sent with its new length;
/// several body filters run last first; a body over the filter's bound is 502; a failing body phase is 500
/// <c>plugin_failed</c>; an API without a body filter keeps streaming.
/// </summary>
public class BodyPhaseTests
{
    private static string Config(string address) => $$"""
        services:
          - name: s
            nodes: [ { address: "{{address}}" } ]
            apis:
              - id: upper
                path: /upper
                policy:
                  filters:
                    - { name: headers, settings: { response: { set: { X-Header-Phase: "ran" } } } }
                    - { name: body-rewrite, settings: { mode: upper } }
              - id: both
                path: /both
                policy:
                  filters:
                    - { name: body-rewrite, settings: { mode: upper } }
                    - { name: body-rewrite, settings: { mode: wrap } }
              - id: small
                path: /small
                policy: { filters: [ { name: body-rewrite, settings: { mode: upper, maxBytes: 8 } } ] }
              - id: fails
                path: /fails
                policy: { filters: [ { name: body-rewrite, settings: { mode: throw } } ] }
              - id: digest
                path: /digest
                policy: { filters: [ { name: request-digest, settings: { maxBytes: 1000 } } ] }
              - id: stream
                path: /stream
                policy: { filters: [ { name: headers, settings: { response: { set: { X-Header-Phase: "ran" } } } } ] }
        """;

    /// <summary>A plugins directory holding the built body-rewrite plugin; it must outlive the gateway that watches it.</summary>
    private static PluginDirectory Plugins()
    {
        var plugins = new PluginDirectory();
        plugins.Deploy("body-rewrite", "body-rewrite");
        return plugins;
    }

    [Fact]
    public async Task BodyFilter_RewritesTheNodesBody_NewLengthAndHeaderPhaseSeeIt()
    {
        await using var backend = await EchoBackend.StartAsync("b");
        using var plugins = Plugins();
        await using var gw = await GatewayTestHost.StartAsync(Config(backend.Address), null, plugins.GatewayArgs);

        using var response = await SendAsync(gw, HttpMethod.Get, "s", "/upper?q=x");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("B|GET|/UPPER?Q=X", await response.Content.ReadAsStringAsync());
        Assert.Equal(16, response.Content.Headers.ContentLength);
        Assert.Equal("16", Header(response, "X-Seen-Length"));
        Assert.Equal("ran", Header(response, "X-Header-Phase"));
    }

    [Fact]
    public async Task TwoBodyFilters_RunLastFirst()
    {
        await using var backend = await EchoBackend.StartAsync("b");
        using var plugins = Plugins();
        await using var gw = await GatewayTestHost.StartAsync(Config(backend.Address), null, plugins.GatewayArgs);

        using var response = await SendAsync(gw, HttpMethod.Get, "s", "/both");

        // wrap (second in the list) runs first, then upper sees and upper-cases its tags.
        Assert.Equal("<W>B|GET|/BOTH</W>", await response.Content.ReadAsStringAsync());
        Assert.Equal("11, 18", Header(response, "X-Seen-Length"));
    }

    [Fact]
    public async Task BodyOverTheFiltersBound_502ResponseTooLarge()
    {
        await using var backend = await EchoBackend.StartAsync("b");
        using var plugins = Plugins();
        await using var gw = await GatewayTestHost.StartAsync(Config(backend.Address), null, plugins.GatewayArgs);

        using var response = await SendAsync(gw, HttpMethod.Get, "s", "/small");

        Assert.Equal(HttpStatusCode.BadGateway, response.StatusCode);
        var problem = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
        Assert.Equal("response_too_large", problem.GetProperty("code").GetString());
        Assert.Null(Header(response, "X-Seen-Length"));
    }

    [Fact]
    public async Task FailingBodyPhase_500PluginFailed_Counted()
    {
        await using var backend = await EchoBackend.StartAsync("b");
        using var plugins = Plugins();
        await using var gw = await GatewayTestHost.StartAsync(Config(backend.Address), null, plugins.GatewayArgs);

        using var response = await SendAsync(gw, HttpMethod.Get, "s", "/fails");

        Assert.Equal(HttpStatusCode.InternalServerError, response.StatusCode);
        var problem = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
        Assert.Equal("plugin_failed", problem.GetProperty("code").GetString());
        Assert.Contains("'body-rewrite'", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
        var metrics = PrometheusText.Parse(await gw.Control.GetStringAsync("/metrics"));
        Assert.Equal(1, metrics.Sum("gatehouse_plugin_failures_total", ("plugin", "body-rewrite"), ("phase", "response")));
        Assert.Contains(gw.Logs.Entries, e => e.Message.Contains("failed in the body phase of s/fails", StringComparison.Ordinal));
    }

    [Fact]
    public async Task RequestBodyFilter_SeesTheBody_NodeStillReceivesIt_OverItsBound413()
    {
        var received = new System.Collections.Concurrent.ConcurrentQueue<string>();
        await using var backend = await EchoBackend.StartAsync("b", async context =>
        {
            using var reader = new StreamReader(context.Request.Body);
            received.Enqueue(await reader.ReadToEndAsync());
            await context.Response.WriteAsync(context.Request.Headers["X-Body-Sha256"].ToString());
        });
        using var plugins = Plugins();
        await using var gw = await GatewayTestHost.StartAsync(Config(backend.Address), null, plugins.GatewayArgs);

        var body = new string('x', 600);
        using (var request = new HttpRequestMessage(HttpMethod.Post, "/digest") { Content = new StringContent(body) })
        {
            request.Headers.Add("serviceName", "s");
            using var response = await gw.Client.SendAsync(request);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            var expected = Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(body)));
            Assert.Equal(expected, await response.Content.ReadAsStringAsync());
        }

        Assert.Equal(body, Assert.Single(received));

        // Chunked (no Content-Length), over the filter's bound: refused while reading, never forwarded.
        using (var request = new HttpRequestMessage(HttpMethod.Post, "/digest")
        {
            Content = new StreamContent(new MemoryStream(System.Text.Encoding.UTF8.GetBytes(new string('y', 1500)))),
        })
        {
            request.Headers.Add("serviceName", "s");
            request.Headers.TransferEncodingChunked = true;
            using var response = await gw.Client.SendAsync(request);
            Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
            var problem = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
            Assert.Equal("payload_too_large", problem.GetProperty("code").GetString());
        }

        Assert.Single(received);
    }

    [Fact]
    public async Task ApiWithoutBodyFilter_KeepsStreaming()
    {
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var backend = await EchoBackend.StartAsync("b", async context =>
        {
            await context.Response.WriteAsync("first;");
            await context.Response.Body.FlushAsync();
            // The rest is sent only once the client has seen the first part: a gateway that buffered would never
            // deliver it, and the read below would time out.
            await release.Task.WaitAsync(TimeSpan.FromSeconds(20));
            await context.Response.WriteAsync("second");
        });
        using var plugins = Plugins();
        await using var gw = await GatewayTestHost.StartAsync(Config(backend.Address), null, plugins.GatewayArgs);

        using var request = new HttpRequestMessage(HttpMethod.Get, "/stream");
        request.Headers.Add("serviceName", "s");
        using var response = await gw.Client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead).WaitAsync(TimeSpan.FromSeconds(15));
        Assert.Equal("ran", Header(response, "X-Header-Phase"));
        await using var body = await response.Content.ReadAsStreamAsync();
        var buffer = new byte[64];
        var read = await body.ReadAsync(buffer).AsTask().WaitAsync(TimeSpan.FromSeconds(15));
        Assert.Equal("first;", System.Text.Encoding.ASCII.GetString(buffer, 0, read));

        release.SetResult();
        using var rest = new StreamReader(body);
        Assert.Equal("second", await rest.ReadToEndAsync());
    }
}
