using System.Net.WebSockets;
using Gatehouse.Gateway.FunctionalTests.Infrastructure;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace Gatehouse.Gateway.FunctionalTests.Observability;

/// <summary>A WebSocket through a real gateway: the tunnel's bytes in both directions reach the access log and metrics.</summary>
public class WebSocketTrafficTests
{
    private const int Messages = 2_000;
    private const int MessageSize = 100;

    [Fact]
    public async Task WebSocketMessages_BytesBothWays_InAccessLogAndMetrics()
    {
        // The node answers each message with one of half the size, so the two directions differ.
        await using var node = await TestBackend.StartWithPipelineAsync(app =>
        {
            app.UseWebSockets();
            app.Run(async context =>
            {
                using var socket = await context.WebSockets.AcceptWebSocketAsync();
                var buffer = new byte[64 * 1024];
                while (true)
                {
                    var received = await socket.ReceiveAsync(buffer, context.RequestAborted);
                    if (received.MessageType == WebSocketMessageType.Close)
                    {
                        await socket.CloseAsync(WebSocketCloseStatus.NormalClosure, null, context.RequestAborted);
                        return;
                    }

                    await socket.SendAsync(buffer.AsMemory(0, received.Count / 2), received.MessageType, true, context.RequestAborted);
                }
            });
        });
        var logDir = Directory.CreateTempSubdirectory("gatehouse-ws-").FullName;
        try
        {
            await using var gw = await GatewayTestHost.StartAsync($$"""
                services:
                  - name: chat
                    nodes: [ { id: chat-1, address: "{{node.BaseAddress}}" } ]
                    apis: [ { id: socket, path: /ws } ]
                """, null,
                "--Gatehouse:Gateway:AccessLog:Enabled", "true",
                "--Gatehouse:Gateway:AccessLog:Path", Path.Combine(logDir, "access.log"));

            using var socket = new ClientWebSocket();
            socket.Options.SetRequestHeader("serviceName", "chat");
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
            await socket.ConnectAsync(new Uri($"ws://127.0.0.1:{gw.Port}/ws"), timeout.Token);
            var message = new byte[MessageSize];
            var reply = new byte[MessageSize];
            for (var i = 0; i < Messages; i++)
            {
                await socket.SendAsync(message, WebSocketMessageType.Binary, true, timeout.Token);
                var received = await socket.ReceiveAsync(reply, timeout.Token);
                Assert.Equal(MessageSize / 2, received.Count);
            }

            await socket.CloseAsync(WebSocketCloseStatus.NormalClosure, null, timeout.Token);

            var line = Assert.Single(await AccessLogTests.ReadLinesAsync(logDir, 1));
            Assert.Equal(101, line.GetProperty("status").GetInt32());
            Assert.Equal(101, line.GetProperty("upstreamStatus").GetInt32());
            var bytesIn = line.GetProperty("bytesIn").GetInt64();
            var bytesOut = line.GetProperty("bytesOut").GetInt64();

            // Wire bytes: each client frame adds 2 header bytes and a 4-byte mask (RFC 6455 §5.2), each node frame 2;
            // the close frames add a few more.
            Assert.InRange(bytesIn, Messages * (MessageSize + 6), (Messages * (MessageSize + 6)) + 64);
            Assert.InRange(bytesOut, Messages * ((MessageSize / 2) + 2), (Messages * ((MessageSize / 2) + 2)) + 64);

            var metrics = PrometheusText.Parse(await gw.Control.GetStringAsync("/metrics"));
            Assert.Equal(bytesIn, metrics.Sum("gatehouse_request_body_bytes_total", ("api", "socket")));
            Assert.Equal(bytesOut, metrics.Sum("gatehouse_response_body_bytes_total", ("api", "socket")));
            Assert.Equal(1, metrics.Sum("gatehouse_requests_total", ("api", "socket"), ("code", "101")));
        }
        finally
        {
            Directory.Delete(logDir, recursive: true);
        }
    }
}
