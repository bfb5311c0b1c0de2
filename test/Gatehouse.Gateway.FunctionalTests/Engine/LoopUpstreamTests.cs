using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Gatehouse.Gateway.Engine;
using Gatehouse.Gateway.Engine.Upstream;
using Gatehouse.Gateway.FunctionalTests.Infrastructure;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;

namespace Gatehouse.Gateway.FunctionalTests.Engine;

/// <summary>
/// Node connections carried by the event loops, through a full gateway on the loop engine: pooled and reused, a
/// node that closes an idle connection, answers <c>Connection: close</c> or closes after a number of requests, every
/// connection released again, and the option that keeps node connections on the platform's sockets.
/// </summary>
public sealed class LoopUpstreamTests
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(10);

    private static Task<GatewayTestHost> StartAsync(string backend, params string[] extra) =>
        EngineGateway.StartAsync(GatewayEngines.Loop, backend, extra);

    private static async Task<string> GetAsync(GatewayTestHost gw, string path)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, path);
        request.Headers.Add("serviceName", "s");
        using var response = await gw.Client.SendAsync(request);
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"{path}: {(int)response.StatusCode} {body}");
        return body;
    }

    /// <summary>
    /// One request first: Kestrel starts a new client connection on the thread pool, so its first request may run
    /// there and use the shared pool. The requests after it normally run on the connection's loop; one that continued
    /// on the thread pool uses the shared pool too, so the counts below are ranges.
    /// </summary>
    private static async Task<GatewayTestHost> WarmAsync(GatewayTestHost gw)
    {
        await GetAsync(gw, "/warm");
        return gw;
    }

    private static Task AllNodeConnectionsClosedAsync(GatewayTestHost gw) => GatewayTestHost.WaitUntilAsync(
        () => Task.FromResult(gw.Services.GetRequiredService<LoopUpstream>().Counters.Open == 0), Wait, "node connections still open");

    [Fact]
    public async Task SequentialRequests_OneLoopCarriedNodeConnection_Reused()
    {
        var connections = new ConcurrentDictionary<string, int>();
        await using var backend = await EchoBackend.StartAsync("b", async context =>
        {
            if (context.Request.Path != "/warm")
            {
                connections.AddOrUpdate(context.Connection.Id, 1, (_, n) => n + 1);
            }

            await context.Response.WriteAsync("ok");
        });
        await using var gw = await WarmAsync(await StartAsync(backend.Address));
        var opened = LoopEngine.UpstreamConnections(gw.Services);

        for (var i = 0; i < 40; i++)
        {
            Assert.Equal("ok", await GetAsync(gw, "/r" + i));
        }

        // One client connection is served by one loop, whose pool keeps one node connection for sequential requests.
        Assert.InRange(LoopEngine.UpstreamConnections(gw.Services) - opened, 0, 1);
        Assert.Equal(40, Assert.Single(connections).Value);
    }

    [Fact]
    public async Task NodeClosesAnIdleConnection_NextRequestOnANewOne()
    {
        await using var node = RawNode.Start(requestsPerConnection: int.MaxValue, closeWhenIdleFor: TimeSpan.FromMilliseconds(300));
        await using var gw = await WarmAsync(await StartAsync(node.Address));
        await GatewayTestHost.WaitUntilAsync(() => Task.FromResult(node.Closed == node.Accepted), Wait, "the node closed the warm-up's connection");
        var (accepted, opened) = (node.Accepted, LoopEngine.UpstreamConnections(gw.Services));

        Assert.Equal("ok", await GetAsync(gw, "/first"));
        await GatewayTestHost.WaitUntilAsync(() => Task.FromResult(node.Closed == accepted + 1), Wait, "the node closed its idle connection");
        Assert.Equal("ok", await GetAsync(gw, "/second"));

        Assert.Equal(accepted + 2, node.Accepted);
        Assert.InRange(LoopEngine.UpstreamConnections(gw.Services) - opened, 1, 2);
        await GatewayTestHost.WaitUntilAsync(() => Task.FromResult(gw.Services.GetRequiredService<LoopUpstream>().Counters.Open == 1), Wait,
            "the closed node connection was released");
    }

    [Fact]
    public async Task NodeAnswersConnectionClose_EachRequestOnItsOwnConnection_AllReleased()
    {
        await using var node = RawNode.Start(requestsPerConnection: 1);
        await using var gw = await WarmAsync(await StartAsync(node.Address));
        var (accepted, opened) = (node.Accepted, LoopEngine.UpstreamConnections(gw.Services));

        for (var i = 0; i < 5; i++)
        {
            Assert.Equal("ok", await GetAsync(gw, "/r" + i));
        }

        Assert.Equal(accepted + 5, node.Accepted);
        Assert.InRange(LoopEngine.UpstreamConnections(gw.Services) - opened, 1, 5);
        await AllNodeConnectionsClosedAsync(gw);
    }

    [Fact]
    public async Task NodeEndsConnectionsAfterThreeRequests_AllRequestsServed()
    {
        await using var node = RawNode.Start(requestsPerConnection: 3);
        await using var gw = await WarmAsync(await StartAsync(node.Address));
        var (accepted, opened) = (node.Accepted, LoopEngine.UpstreamConnections(gw.Services));

        for (var i = 0; i < 9; i++)
        {
            Assert.Equal("ok", await GetAsync(gw, "/r" + i));
        }

        Assert.InRange(node.Accepted - accepted, 3, 4);
        Assert.InRange(LoopEngine.UpstreamConnections(gw.Services) - opened, 1, 4);
    }

    [Fact]
    public async Task UpstreamOff_NodeConnectionsStayOnThePlatform()
    {
        await using var backend = await EchoBackend.StartAsync("b");
        await using var gw = await StartAsync(backend.Address, "--Gatehouse:Gateway:LoopEngine:Upstream", "false");

        Assert.Equal("b|GET|/x", await GetAsync(gw, "/x"));

        Assert.True(LoopEngine.AcceptedConnections(gw.Services) > 0);
        Assert.Equal(-1, LoopEngine.UpstreamConnections(gw.Services));
    }

    /// <summary>
    /// An HTTP/1.1 node on a plain socket: answers every request <c>200 ok</c>, and ends a connection after a number
    /// of requests (announced with <c>Connection: close</c>) or, silently, when it has been idle for a while.
    /// </summary>
    private sealed class RawNode : IAsyncDisposable
    {
        private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
        private readonly CancellationTokenSource _stop = new();
        private readonly int _requestsPerConnection;
        private readonly TimeSpan _closeWhenIdleFor;
        private Task _accepting = Task.CompletedTask;
        private int _accepted;
        private int _closed;

        private RawNode(int requestsPerConnection, TimeSpan closeWhenIdleFor)
        {
            _requestsPerConnection = requestsPerConnection;
            _closeWhenIdleFor = closeWhenIdleFor;
        }

        public string Address => $"http://127.0.0.1:{((IPEndPoint)_listener.LocalEndpoint).Port}";

        public int Accepted => Volatile.Read(ref _accepted);

        public int Closed => Volatile.Read(ref _closed);

        public static RawNode Start(int requestsPerConnection, TimeSpan? closeWhenIdleFor = null)
        {
            var node = new RawNode(requestsPerConnection, closeWhenIdleFor ?? Timeout.InfiniteTimeSpan);
            node._listener.Start();
            node._accepting = node.AcceptAsync();
            return node;
        }

        private async Task AcceptAsync()
        {
            while (!_stop.IsCancellationRequested)
            {
                Socket socket;
                try
                {
                    socket = await _listener.AcceptSocketAsync(_stop.Token);
                }
                catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException)
                {
                    return;
                }

                Interlocked.Increment(ref _accepted);
                _ = ServeAsync(socket);
            }
        }

        private async Task ServeAsync(Socket socket)
        {
            using var _ = socket;
            var buffer = new byte[8192];
            var held = 0;
            try
            {
                for (var served = 0; served < _requestsPerConnection;)
                {
                    using var idle = CancellationTokenSource.CreateLinkedTokenSource(_stop.Token);
                    idle.CancelAfter(_closeWhenIdleFor);
                    var read = await socket.ReceiveAsync(buffer.AsMemory(held), idle.Token);
                    if (read == 0)
                    {
                        return;
                    }

                    held += read;
                    var text = Encoding.ASCII.GetString(buffer, 0, held);
                    var end = text.IndexOf("\r\n\r\n", StringComparison.Ordinal);
                    if (end < 0)
                    {
                        continue;
                    }

                    // GET requests only: nothing follows the head.
                    held = 0;
                    served++;
                    var last = served == _requestsPerConnection;
                    await socket.SendAsync(Encoding.ASCII.GetBytes(
                        $"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n{(last ? "Connection: close\r\n" : "")}\r\nok"));
                }
            }
            catch (Exception e) when (e is OperationCanceledException or SocketException)
            {
                // Idle for too long (or stopping): the connection ends without a word, as a node's keep-alive timeout does.
            }
            finally
            {
                Interlocked.Increment(ref _closed);
            }
        }

        public async ValueTask DisposeAsync()
        {
            _stop.Cancel();
            _listener.Stop();
            await _accepting;
            _stop.Dispose();
        }
    }
}
