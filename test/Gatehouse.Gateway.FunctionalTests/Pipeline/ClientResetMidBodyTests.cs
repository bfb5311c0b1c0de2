using System.Net;
using System.Net.Sockets;
using System.Text;
using Gatehouse.Core.Security;
using Gatehouse.Gateway.FunctionalTests.Infrastructure;
using Gatehouse.Sdk.Encryption;
using Gatehouse.Sdk.Signing;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Gatehouse.Gateway.FunctionalTests.Pipeline;

/// <summary>
/// A client that resets its connection in the middle of a request body, against every part of the gateway that reads
/// a body: the encryption and signature filters (which buffer it) and the forwarder (which streams it, with and
/// without a body limit). The reset is the client's doing: it must cost at most one quiet log line, never an error
/// with a stack trace or Kestrel's "Reading is already in progress", and the gateway goes on serving.
/// </summary>
public sealed class ClientResetMidBodyTests : IAsyncLifetime
{
    private const string Secret = "secret-of-app-r-0123456789";
    private const int Tries = 20;
    private EchoBackend _backend = null!;
    private GatewayTestHost _gateway = null!;

    public async Task InitializeAsync()
    {
        // The backend echoes the body it received.
        _backend = await EchoBackend.StartAsync("b", async context =>
        {
            var body = await new StreamReader(context.Request.Body).ReadToEndAsync();
            await context.Response.WriteAsync(body);
        });
        _gateway = await GatewayTestHost.StartAsync($$"""
            apps:
              - { appKey: app-r, secret: "{{Secret}}", permissions: [enc, sig] }
            services:
              - name: enc
                policy: { encryption: { maxBodyBytes: 65536 } }
                nodes: [ { address: "{{_backend.Address}}" } ]
                apis: [ { id: all, path: "/**" } ]
              - name: sig
                policy: { auth: { sign: {} } }
                nodes: [ { address: "{{_backend.Address}}" } ]
                apis: [ { id: all, path: "/**" } ]
              - name: plain
                nodes: [ { address: "{{_backend.Address}}" } ]
                apis: [ { id: all, path: "/**" } ]
              - name: limited
                policy: { limits: { maxBodyBytes: 65536 } }
                nodes: [ { address: "{{_backend.Address}}" } ]
                apis: [ { id: all, path: "/**" } ]
            """);
    }

    public async Task DisposeAsync()
    {
        await _gateway.DisposeAsync();
        await _backend.DisposeAsync();
    }

    [Theory]
    [InlineData("enc")]
    [InlineData("sig")]
    [InlineData("plain")]
    [InlineData("limited")]
    public async Task ClientResetsMidBody_LogsNoErrorAndNoPendingRead_AndTheGatewayKeepsServing(string service)
    {
        var before = _gateway.Logs.Entries.Count;
        for (var i = 0; i < Tries; i++)
        {
            await ResetMidBodyAsync(service, i);
        }

        // The gateway finishes each aborted exchange on its own time: wait until its log has been quiet for a moment.
        var seen = -1;
        await GatewayTestHost.WaitUntilAsync(async () =>
        {
            var now = _gateway.Logs.Entries.Count;
            var quiet = now == seen;
            seen = now;
            await Task.Delay(300);
            return quiet;
        }, TimeSpan.FromSeconds(20), "the gateway's log did not settle");

        var entries = _gateway.Logs.Entries.Skip(before).ToList();
        var report = string.Join("\n", entries.Select(e => $"{e.Level} {e.EventId} {e.Message} {e.Exception?.GetType().Name}: {e.Exception?.Message}"));
        Assert.DoesNotContain(entries, e => (e.Message + e.Exception).Contains("Reading is already in progress", StringComparison.Ordinal));
        Assert.DoesNotContain(entries, e => e.Level >= LogLevel.Error);
        Assert.DoesNotContain(entries, e => e.Level >= LogLevel.Warning && e.Exception is not null);
        Assert.True(entries.Count(e => e.Level >= LogLevel.Warning) <= Tries, report);

        await AssertServesAsync(service);
    }

    /// <summary>The control port's config push reads its body (to verify the signature over it) as the filters do.</summary>
    [Fact]
    public async Task ConfigPush_ClientResetsMidBody_LogsNoError_AndTheControlPortKeepsServing()
    {
        await using var gw = await GatewayTestHost.StartAsync("services: []", null, "--Gatehouse:ControlSecret", "control-secret-0123456789");
        for (var i = 0; i < 5; i++)
        {
            using var client = new TcpClient { NoDelay = true };
            await client.ConnectAsync(IPAddress.Loopback, gw.ControlPort);
            var stream = client.GetStream();
            await stream.WriteAsync(Encoding.ASCII.GetBytes(
                "POST /control/config HTTP/1.1\r\nHost: gw\r\nContent-Type: application/json\r\nContent-Length: 4000\r\n\r\n"));
            await stream.WriteAsync(new byte[1000]);
            await Task.Delay(50);
            client.Client.LingerState = new LingerOption(true, 0);
            client.Client.Close();
        }

        await Task.Delay(500);
        var entries = gw.Logs.Entries;
        Assert.DoesNotContain(entries, e => (e.Message + e.Exception).Contains("Reading is already in progress", StringComparison.Ordinal));
        Assert.DoesNotContain(entries, e => e.Level >= LogLevel.Error);
        Assert.DoesNotContain(entries, e => e.Level >= LogLevel.Warning && e.Exception is not null);
        using var version = await gw.Control.GetAsync("/control/config/version");
        Assert.Equal(HttpStatusCode.OK, version.StatusCode);
    }

    [Theory]
    [InlineData("enc")]
    [InlineData("sig")]
    [InlineData("plain")]
    public async Task MalformedChunkedBody_400_WithoutPendingReadError(string service)
    {
        var before = _gateway.Logs.Entries.Count;
        var head = $"POST /orders HTTP/1.1\r\nHost: gw\r\nserviceName: {service}\r\nTransfer-Encoding: chunked\r\n" +
            $"Content-Type: {(service == "enc" ? PayloadEnvelope.ContentType : "application/json")}\r\n{ExtraHeaders(service, 0)}\r\n";
        var response = await RawHttp.SendAsync(_gateway.Port, head + "5\r\nhello\r\nzz\r\n");

        Assert.Equal(400, response.Status);
        Assert.True(response.Closed);
        await Task.Delay(500);
        var entries = _gateway.Logs.Entries.Skip(before).ToList();
        Assert.DoesNotContain(entries, e => (e.Message + e.Exception).Contains("Reading is already in progress", StringComparison.Ordinal));
        Assert.DoesNotContain(entries, e => e.Level >= LogLevel.Error);
        await AssertServesAsync(service);
    }

    private static string ExtraHeaders(string service, int i) => service switch
    {
        "enc" => $"{RequestSigning.AppKeyHeader}: app-r\r\n",
        "sig" => $"{RequestSigning.AppKeyHeader}: app-r\r\n{RequestSigning.TimestampHeader}: {DateTimeOffset.UtcNow.ToUnixTimeMilliseconds()}\r\n" +
            $"{RequestSigning.NonceHeader}: reset-{i}-{Guid.NewGuid():N}\r\n{RequestSigning.SignatureHeader}: AAAA\r\n",
        _ => "",
    };

    /// <summary>Headers with a Content-Length of 4,000, then 1,000 bytes of body, then a reset (RST, not FIN).</summary>
    private async Task ResetMidBodyAsync(string service, int i)
    {
        var extraHeaders = ExtraHeaders(service, i);
        var contentType = service == "enc" ? PayloadEnvelope.ContentType : "application/json";

        using var client = new TcpClient { NoDelay = true };
        await client.ConnectAsync(IPAddress.Loopback, _gateway.Port);
        var stream = client.GetStream();
        var head = $"POST /orders HTTP/1.1\r\nHost: gw\r\nserviceName: {service}\r\nContent-Type: {contentType}\r\nContent-Length: 4000\r\n{extraHeaders}\r\n";
        await stream.WriteAsync(Encoding.ASCII.GetBytes(head));
        await stream.WriteAsync(new byte[1000]);
        await stream.FlushAsync();

        // Long enough for the gateway to be waiting for the rest of the body.
        await Task.Delay(50);
        client.Client.LingerState = new LingerOption(true, 0);
        client.Client.Close();
    }

    // The next request on a fresh connection is served: through the app's encrypting or signing client for those
    // APIs (the encrypted answer is decrypted and must echo the body), plainly for the others.
    private async Task AssertServesAsync(string service)
    {
        DelegatingHandler? appHandler = service switch
        {
            "enc" => new GatehouseEncryptionHandler(new GatehousePayloadCipher("app-r", Secret)),
            "sig" => new GatehouseSigningHandler(new GatehouseSigner("app-r", Secret)),
            _ => null,
        };
        if (appHandler is null)
        {
            using var plain = new HttpRequestMessage(HttpMethod.Post, "/orders") { Content = new StringContent("{\"n\":1}") };
            plain.Headers.Add("serviceName", service);
            using var plainResponse = await _gateway.Client.SendAsync(plain);
            Assert.Equal(HttpStatusCode.OK, plainResponse.StatusCode);
            return;
        }

        appHandler.InnerHandler = new SocketsHttpHandler { UseProxy = false };
        using var client = new HttpClient(appHandler);
        using var request = new HttpRequestMessage(HttpMethod.Post, $"http://127.0.0.1:{_gateway.Port}/orders")
        {
            Content = new StringContent("{\"n\":1}", Encoding.UTF8, "application/json"),
        };
        request.Headers.Add("serviceName", service);
        using var response = await client.SendAsync(request);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        if (service == "enc")
        {
            Assert.Contains("{\"n\":1}", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }
    }
}
