using System.Net;
using System.Net.WebSockets;
using System.Text;
using Gatehouse.Core.Config;
using Gatehouse.Gateway.Forwarding;
using Gatehouse.Gateway.FunctionalTests.Infrastructure;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Core;

namespace Gatehouse.Gateway.FunctionalTests.Forwarding;

public class HttpForwarderUpgradeTests
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(10);

    /// <summary>A WebSocket echo server that accepts the "chat" subprotocol and closes when the client does.</summary>
    private static Task<TestBackend> StartEchoBackendAsync(HttpProtocols protocols = HttpProtocols.Http1)
        => TestBackend.StartWithPipelineAsync(app =>
        {
            app.UseWebSockets();
            app.Run(async context =>
            {
                if (!context.WebSockets.IsWebSocketRequest)
                {
                    context.Response.StatusCode = 400;
                    return;
                }

                using var socket = await context.WebSockets.AcceptWebSocketAsync("chat");
                var buffer = new byte[256 * 1024];
                while (true)
                {
                    var received = await socket.ReceiveAsync(buffer, context.RequestAborted);
                    if (received.MessageType == WebSocketMessageType.Close)
                    {
                        await socket.CloseAsync(WebSocketCloseStatus.NormalClosure, "bye", context.RequestAborted);
                        return;
                    }

                    await socket.SendAsync(buffer.AsMemory(0, received.Count), received.MessageType, received.EndOfMessage,
                        context.RequestAborted);
                }
            });
        }, protocols);

    [Fact]
    public async Task ForwardAsync_WebSocket_EchoedThroughTheTunnelAndClosedCleanly()
    {
        await using var backend = await StartEchoBackendAsync();
        await using var gateway = await ForwarderTestHost.StartAsync(ForwarderTestHost.Node(backend.BaseAddress));
        using var socket = new ClientWebSocket();
        socket.Options.AddSubProtocol("chat");
        using var timeout = new CancellationTokenSource(Wait);

        await socket.ConnectAsync(new Uri(gateway.BaseAddress.Replace("http://", "ws://") + "/ws"), timeout.Token);
        Assert.Equal("chat", socket.SubProtocol);

        await socket.SendAsync(Encoding.UTF8.GetBytes("hello"), WebSocketMessageType.Text, true, timeout.Token);
        Assert.Equal("hello", Encoding.UTF8.GetString(await ReceiveMessageAsync(socket, timeout.Token)));

        var large = new byte[300_000];
        new Random(7).NextBytes(large);
        await socket.SendAsync(large, WebSocketMessageType.Binary, true, timeout.Token);
        Assert.Equal(large, await ReceiveMessageAsync(socket, timeout.Token));

        await socket.CloseAsync(WebSocketCloseStatus.NormalClosure, "done", timeout.Token);
        Assert.Equal(WebSocketState.Closed, socket.State);
        Assert.Equal(WebSocketCloseStatus.NormalClosure, socket.CloseStatus);
        Assert.Equal(ForwarderError.None, (await gateway.NextResultAsync()).Error);
    }

    [Fact]
    public async Task ForwardAsync_UpgradeRefusedByNode_RelayedAsNormalResponse()
    {
        await using var backend = await TestBackend.StartAsync(context =>
        {
            context.Response.StatusCode = 403;
            return context.Response.WriteAsync("no sockets here");
        });
        await using var gateway = await ForwarderTestHost.StartAsync(ForwarderTestHost.Node(backend.BaseAddress));
        using var socket = new ClientWebSocket();
        socket.Options.CollectHttpResponseDetails = true;

        await Assert.ThrowsAsync<WebSocketException>(
            () => socket.ConnectAsync(new Uri(gateway.BaseAddress.Replace("http://", "ws://") + "/ws"), CancellationToken.None));

        Assert.Equal(HttpStatusCode.Forbidden, socket.HttpStatusCode);
        Assert.Equal(ForwarderError.None, (await gateway.NextResultAsync()).Error);
    }

    [Fact]
    public async Task ForwardAsync_UpgradeToHttp2OnlyNode_UpgradeFailedWithoutSending()
    {
        await using var backend = await StartEchoBackendAsync(HttpProtocols.Http2);
        await using var gateway = await ForwarderTestHost.StartAsync(ForwarderTestHost.Node(backend.BaseAddress, UpstreamProtocol.Http2));
        using var socket = new ClientWebSocket();
        socket.Options.CollectHttpResponseDetails = true;

        await Assert.ThrowsAsync<WebSocketException>(
            () => socket.ConnectAsync(new Uri(gateway.BaseAddress.Replace("http://", "ws://") + "/ws"), CancellationToken.None));

        Assert.Equal(HttpStatusCode.BadGateway, socket.HttpStatusCode);
        Assert.Equal(ForwarderError.UpgradeFailed, (await gateway.NextResultAsync()).Error);
    }

    private static async Task<byte[]> ReceiveMessageAsync(ClientWebSocket socket, CancellationToken cancellationToken)
    {
        using var message = new MemoryStream();
        var buffer = new byte[64 * 1024];
        WebSocketReceiveResult received;
        do
        {
            received = await socket.ReceiveAsync(buffer, cancellationToken);
            message.Write(buffer, 0, received.Count);
        }
        while (!received.EndOfMessage);

        return message.ToArray();
    }
}
