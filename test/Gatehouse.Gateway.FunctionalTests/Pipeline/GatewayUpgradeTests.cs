using System.Net.WebSockets;
using System.Text;
using Gatehouse.Gateway.FunctionalTests.Infrastructure;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace Gatehouse.Gateway.FunctionalTests.Pipeline;

public class GatewayUpgradeTests
{
    [Fact]
    public async Task WebSocket_ThroughWholeGateway_EchoesBothWays()
    {
        await using var backend = await TestBackend.StartWithPipelineAsync(app =>
        {
            app.UseWebSockets();
            app.Run(async context =>
            {
                using var socket = await context.WebSockets.AcceptWebSocketAsync();
                var buffer = new byte[4096];
                while (true)
                {
                    var received = await socket.ReceiveAsync(buffer, context.RequestAborted);
                    if (received.MessageType == WebSocketMessageType.Close)
                    {
                        await socket.CloseAsync(WebSocketCloseStatus.NormalClosure, null, context.RequestAborted);
                        return;
                    }

                    var reply = Encoding.UTF8.GetBytes(context.Request.Path + ":" + Encoding.UTF8.GetString(buffer, 0, received.Count));
                    await socket.SendAsync(reply, WebSocketMessageType.Text, true, context.RequestAborted);
                }
            });
        });
        await using var gw = await GatewayTestHost.StartAsync($$"""
            services:
              - name: chat
                nodes: [ { address: "{{backend.BaseAddress}}" } ]
                apis: [ { id: socket, path: "/ws/{room}", methods: [GET] } ]
            originMappings:
              - { pathPrefix: /chat, service: chat, stripPrefix: true }
            """);

        using var client = new ClientWebSocket();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        await client.ConnectAsync(new Uri($"ws://127.0.0.1:{gw.Port}/chat/ws/lobby"), timeout.Token);
        for (var i = 0; i < 3; i++)
        {
            await client.SendAsync(Encoding.UTF8.GetBytes($"m{i}"), WebSocketMessageType.Text, true, timeout.Token);
            var buffer = new byte[4096];
            var received = await client.ReceiveAsync(buffer, timeout.Token);
            Assert.Equal($"/ws/lobby:m{i}", Encoding.UTF8.GetString(buffer, 0, received.Count));
        }

        await client.CloseAsync(WebSocketCloseStatus.NormalClosure, null, timeout.Token);
        Assert.Equal(WebSocketState.Closed, client.State);
    }
}
