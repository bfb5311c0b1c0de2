using System.Net;
using System.Net.Sockets;
using System.Text;
using Gatehouse.Gateway.Engine;
using Gatehouse.Gateway.FunctionalTests.Infrastructure;
using Gatehouse.Gateway.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Options;

namespace Gatehouse.Gateway.FunctionalTests.Engine;

/// <summary>
/// Connection lifecycle on either engine: idle connections closed by the client or by the gateway's keep-alive
/// timeout, <c>Connection: close</c>, many requests on one connection and many connections (the loop's slot table
/// reused), and a client's abort cancelling the node's request. On the loop engine each test also checks that every
/// connection it opened is closed again.
/// </summary>
public sealed class LoopEngineConnectionTests
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(10);

    private static Task<GatewayTestHost> StartAsync(string engine, string backend, params string[] extra) =>
        EngineGateway.StartAsync(engine, backend, extra);

    private static byte[] Get(string path, string extra = "") =>
        Encoding.ASCII.GetBytes($"GET {path} HTTP/1.1\r\nHost: gw\r\nserviceName: s\r\n{extra}\r\n");

    /// <summary>Waits until the loop engine holds no connection (platform: nothing to check).</summary>
    private static Task AllClosedAsync(GatewayTestHost gw) => GatewayTestHost.WaitUntilAsync(
        () => Task.FromResult(LoopEngine.OpenConnections(gw.Services) <= 0), Wait, "the loop engine still holds connections");

    [Theory]
    [InlineData(GatewayEngines.Platform)]
    [InlineData(GatewayEngines.Loop)]
    public async Task ClientClosesIdleKeepAliveConnection_GatewayReleasesIt_NextConnectionServed(string engine)
    {
        await using var backend = await EchoBackend.StartAsync("b");
        await using var gw = await StartAsync(engine, backend.Address);

        using (var client = new TcpClient())
        {
            await client.ConnectAsync(IPAddress.Loopback, gw.Port);
            var stream = client.GetStream();
            await stream.WriteAsync(Get("/idle"));
            var response = await new RawResponseReader(stream).ReadAsync().WaitAsync(Wait);
            Assert.Equal(200, response!.Status);
        }

        await AllClosedAsync(gw);
        using var request = new HttpRequestMessage(HttpMethod.Get, "/after");
        request.Headers.Add("serviceName", "s");
        using var next = await gw.Client.SendAsync(request);
        Assert.Equal("b|GET|/after", await next.Content.ReadAsStringAsync());
    }

    [Theory]
    [InlineData(GatewayEngines.Platform)]
    [InlineData(GatewayEngines.Loop)]
    public async Task IdleConnectionPastKeepAliveTimeout_GatewayClosesIt(string engine)
    {
        await using var backend = await EchoBackend.StartAsync("b");
        await using var gw = await StartAsync(engine, backend.Address, "--Gatehouse:Gateway:Limits:KeepAliveTimeout", "00:00:01");

        using var client = new TcpClient();
        await client.ConnectAsync(IPAddress.Loopback, gw.Port);
        var stream = client.GetStream();
        await stream.WriteAsync(Get("/idle"));
        var reader = new RawResponseReader(stream);
        Assert.Equal(200, (await reader.ReadAsync().WaitAsync(Wait))!.Status);

        using var timeout = new CancellationTokenSource(Wait);
        Assert.True(await reader.IsClosedAsync(timeout.Token), "the gateway kept the idle connection open");
        await AllClosedAsync(gw);
    }

    [Theory]
    [InlineData(GatewayEngines.Platform)]
    [InlineData(GatewayEngines.Loop)]
    public async Task ConnectionClose_ResponseThenClose_PipelinedRequestNotServed(string engine)
    {
        await using var backend = await EchoBackend.StartAsync("b");
        await using var gw = await StartAsync(engine, backend.Address);

        var response = await RawHttp.SendAsync(gw.Port, RawHttp.Get("/first") + "GET /second HTTP/1.1\r\nHost: gw\r\nserviceName: s\r\n\r\n");

        Assert.Equal(200, response.Status);
        Assert.True(response.Closed);
        Assert.Equal(1, response.ResponseCount);
        Assert.Contains("b|GET|/first", response.Text, StringComparison.Ordinal);
        Assert.Equal(1, backend.RequestCount);
        await AllClosedAsync(gw);
    }

    [Theory]
    [InlineData(GatewayEngines.Platform)]
    [InlineData(GatewayEngines.Loop)]
    public async Task ManyRequestsOnOneConnection_AllServedInOrder(string engine)
    {
        // The gateway sets no cap on requests per connection: 2,000 in a row must all be served on the one connection.
        await using var backend = await EchoBackend.StartAsync("b");
        await using var gw = await StartAsync(engine, backend.Address);

        using var client = new TcpClient();
        await client.ConnectAsync(IPAddress.Loopback, gw.Port);
        var stream = client.GetStream();
        var reader = new RawResponseReader(stream);
        for (var i = 0; i < 2_000; i++)
        {
            await stream.WriteAsync(Get($"/r/{i}"));
            var response = await reader.ReadAsync().WaitAsync(Wait);
            Assert.Equal($"b|GET|/r/{i}", Encoding.ASCII.GetString(response!.Body));
        }

        Assert.True(LoopEngine.AcceptedConnections(gw.Services) is -1 or 1);
    }

    [Theory]
    [InlineData(GatewayEngines.Platform)]
    [InlineData(GatewayEngines.Loop)]
    public async Task ManyShortConnections_EachServedAndClosed(string engine)
    {
        // More connections than the loop's first slot table holds, opened and closed in turn, some concurrently.
        await using var backend = await EchoBackend.StartAsync("b");
        await using var gw = await StartAsync(engine, backend.Address);

        for (var batch = 0; batch < 10; batch++)
        {
            var sends = new Task<RawResponse>[30];
            for (var i = 0; i < sends.Length; i++)
            {
                sends[i] = RawHttp.SendAsync(gw.Port, RawHttp.Get($"/c/{batch}/{i}"));
            }

            foreach (var response in await Task.WhenAll(sends))
            {
                Assert.Equal(200, response.Status);
                Assert.True(response.Closed);
            }
        }

        Assert.Equal(300, backend.RequestCount);
        await AllClosedAsync(gw);
        Assert.True(LoopEngine.AcceptedConnections(gw.Services) is -1 or >= 300);
    }

    [Theory]
    [InlineData(GatewayEngines.Platform)]
    [InlineData(GatewayEngines.Loop)]
    public async Task ClientAbortsWhileNodeWorks_NodeRequestCancelled(string engine)
    {
        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var cancelled = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var backend = await EchoBackend.StartAsync("b", async context =>
        {
            started.TrySetResult();
            try
            {
                await Task.Delay(Timeout.Infinite, context.RequestAborted);
            }
            catch (OperationCanceledException)
            {
                cancelled.TrySetResult();
            }
        });
        await using var gw = await StartAsync(engine, backend.Address);

        using (var client = new TcpClient())
        {
            await client.ConnectAsync(IPAddress.Loopback, gw.Port);
            await client.GetStream().WriteAsync(Get("/slow"));
            await started.Task.WaitAsync(Wait);
        }

        await cancelled.Task.WaitAsync(Wait);
        await AllClosedAsync(gw);
    }

    [Theory]
    [InlineData(GatewayEngines.Platform, 4096)]
    [InlineData(GatewayEngines.Loop, 4096)]
    [InlineData(GatewayEngines.Loop, 8192)]
    [InlineData(GatewayEngines.Loop, 65536)]
    public async Task RequestFillingTheReadBufferExactly_ServedAndConnectionKept(string engine, int size)
    {
        // The loop reads on after a read that fills its buffer; the next read finds the socket empty (EAGAIN) after
        // Kestrel already ran the request inline. The EAGAIN must not be taken for an error (a reset).
        await using var backend = await EchoBackend.StartAsync("b", async context =>
        {
            var body = new MemoryStream();
            await context.Request.Body.CopyToAsync(body);
            await context.Response.WriteAsync(body.Length.ToString(System.Globalization.CultureInfo.InvariantCulture));
        });
        await using var gw = await StartAsync(engine, backend.Address);

        using var client = new TcpClient();
        await client.ConnectAsync(IPAddress.Loopback, gw.Port);
        var stream = client.GetStream();
        var reader = new RawResponseReader(stream);
        for (var i = 0; i < 20; i++)
        {
            var head = $"POST /exact/{i} HTTP/1.1\r\nHost: gw\r\nserviceName: s\r\nContent-Length: ";
            var bodyLength = size - head.Length - 4 - 4;
            if (bodyLength >= 10_000)
            {
                bodyLength--; // five digits of Content-Length
            }

            var request = Encoding.ASCII.GetBytes($"{head}{bodyLength}\r\n\r\n{new string('x', bodyLength)}");
            Assert.Equal(size, request.Length);
            await stream.WriteAsync(request);
            var response = await reader.ReadAsync().WaitAsync(Wait);
            Assert.True(response is not null, $"request {i}: the connection was closed");
            Assert.Equal(bodyLength.ToString(System.Globalization.CultureInfo.InvariantCulture), Encoding.ASCII.GetString(response.Body));
        }
    }

    [Fact]
    public void UnknownEngine_RefusedAtStart()
    {
        var e = Assert.Throws<OptionsValidationException>(() => GatewayApplication.Create(["--Gatehouse:Gateway:Engine", "uring"]));
        Assert.Contains("must be 'platform' or 'loop'", e.Message, StringComparison.Ordinal);
    }
}
