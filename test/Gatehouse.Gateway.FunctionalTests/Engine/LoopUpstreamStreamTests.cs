using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using Gatehouse.Gateway.Engine;
using Gatehouse.Gateway.Engine.Upstream;
using Gatehouse.Gateway.FunctionalTests.Infrastructure;
using Microsoft.Extensions.Logging.Abstractions;

namespace Gatehouse.Gateway.FunctionalTests.Engine;

/// <summary>
/// <see cref="LoopUpstreamStream"/> on a real event loop against a plain TCP listener on loopback: connecting
/// (refused, hanging, cancelled), reading and writing with the socket buffers full, the peer's close, zero-byte reads,
/// a close from another thread waking a pending read, and continuations running on the loop thread.
/// </summary>
public sealed class LoopUpstreamStreamTests : IAsyncLifetime
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(10);
    private readonly EventLoop _loop = new(0, NullLogger.Instance);
    private readonly LoopCounters _counters = new();
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);

    public Task InitializeAsync()
    {
        _listener.Start();
        return Task.CompletedTask;
    }

    public Task DisposeAsync()
    {
        _listener.Stop();
        _loop.Dispose();
        return Task.CompletedTask;
    }

    private IPEndPoint Node => (IPEndPoint)_listener.LocalEndpoint;

    private async Task<(LoopUpstreamStream Stream, Socket Peer)> ConnectAsync()
    {
        var accept = _listener.AcceptSocketAsync();
        var stream = await LoopUpstreamStream.ConnectAsync(_loop, Node, _counters, CancellationToken.None).AsTask().WaitAsync(Wait);
        return (stream, await accept.WaitAsync(Wait));
    }

    [Fact]
    public async Task ConnectWriteRead_BytesBothWays_CountersFollowTheConnection()
    {
        var (stream, peer) = await ConnectAsync();
        using var _ = peer;
        Assert.Equal(1, _counters.Open);

        await stream.WriteAsync("ping"u8.ToArray());
        var buffer = new byte[16];
        var got = await peer.ReceiveAsync(buffer);
        Assert.Equal("ping", System.Text.Encoding.ASCII.GetString(buffer, 0, got));

        await peer.SendAsync("pong"u8.ToArray());
        got = await stream.ReadAsync(buffer).AsTask().WaitAsync(Wait);
        Assert.Equal("pong", System.Text.Encoding.ASCII.GetString(buffer, 0, got));

        await stream.DisposeAsync();
        await GatewayTestHost.WaitUntilAsync(() => Task.FromResult(_counters.Open == 0), Wait, "connection closed");
        Assert.Equal(0, await peer.ReceiveAsync(buffer).WaitAsync(Wait));
    }

    [Fact]
    public async Task ConnectByHostName_Resolved()
    {
        var accept = _listener.AcceptSocketAsync();
        await using var stream = await LoopUpstreamStream.ConnectAsync(_loop, new DnsEndPoint("localhost", Node.Port), _counters, CancellationToken.None);
        using var peer = await accept.WaitAsync(Wait);
        Assert.True(peer.Connected);
    }

    [Fact]
    public async Task NothingListening_ConnectionRefused()
    {
        var port = FreePort.Next();

        var error = await Assert.ThrowsAsync<SocketException>(async () =>
            await LoopUpstreamStream.ConnectAsync(_loop, new IPEndPoint(IPAddress.Loopback, port), _counters, CancellationToken.None));

        Assert.Equal(SocketError.ConnectionRefused, error.SocketErrorCode);
        Assert.Equal(0, _counters.Opened);
    }

    [Fact]
    public async Task ConnectThatHangs_CancelledByTheToken()
    {
        using var full = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        full.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        full.Listen(1);
        var backlog = await FullBacklog.FillAsync(((IPEndPoint)full.LocalEndPoint!).Port);
        try
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromMilliseconds(300));
            await Assert.ThrowsAnyAsync<OperationCanceledException>(async () =>
                await LoopUpstreamStream.ConnectAsync(_loop, full.LocalEndPoint!, _counters, timeout.Token));
            Assert.Equal(0, _counters.Opened);
        }
        finally
        {
            backlog.ForEach(s => s.Dispose());
        }
    }

    [Fact]
    public async Task PendingRead_ContinuesOnTheLoopThread()
    {
        var (stream, peer) = await ConnectAsync();
        await using var _ = stream;
        using var __ = peer;

        var observed = new TaskCompletionSource<bool>();
        var buffer = new byte[8];
        var read = ReadThenObserveAsync();
        await Task.Delay(50);
        Assert.False(read.IsCompleted);
        await peer.SendAsync("x"u8.ToArray());

        Assert.Equal(1, await read.WaitAsync(Wait));
        Assert.True(await observed.Task, "the read's continuation did not run on the event loop");

        async Task<int> ReadThenObserveAsync()
        {
            var n = await stream.ReadAsync(buffer).ConfigureAwait(false);
            observed.SetResult(ReferenceEquals(EventLoop.Current, _loop));
            return n;
        }
    }

    [Fact]
    public async Task ZeroByteRead_WaitsForData_WithoutConsumingIt()
    {
        var (stream, peer) = await ConnectAsync();
        await using var _ = stream;
        using var __ = peer;

        var probe = stream.ReadAsync(Memory<byte>.Empty).AsTask();
        await Task.Delay(50);
        Assert.False(probe.IsCompleted);
        await peer.SendAsync("abc"u8.ToArray());
        Assert.Equal(0, await probe.WaitAsync(Wait));

        var buffer = new byte[8];
        var got = await stream.ReadAsync(buffer).AsTask().WaitAsync(Wait);
        Assert.Equal("abc", System.Text.Encoding.ASCII.GetString(buffer, 0, got));
    }

    [Fact]
    public async Task ReadsAfterAShortRead_WaitForTheNextData()
    {
        var (stream, peer) = await ConnectAsync();
        await using var _ = stream;
        using var __ = peer;
        var buffer = new byte[64];
        await peer.SendAsync("first"u8.ToArray());
        Assert.Equal(5, await stream.ReadAsync(buffer).AsTask().WaitAsync(Wait));

        // The short read emptied the socket: the watch waits for the next edge (without asking the socket).
        var watch = stream.ReadAsync(Memory<byte>.Empty).AsTask();
        await Task.Delay(50);
        Assert.False(watch.IsCompleted);
        await peer.SendAsync("second"u8.ToArray());
        Assert.Equal(0, await watch.WaitAsync(Wait));
        Assert.Equal(6, await stream.ReadAsync(buffer).AsTask().WaitAsync(Wait));

        // A real read after a short one waits the same way, and gets the next bytes.
        var read = stream.ReadAsync(buffer).AsTask();
        await Task.Delay(50);
        Assert.False(read.IsCompleted);
        await peer.SendAsync("third"u8.ToArray());
        Assert.Equal(5, await read.WaitAsync(Wait));
    }

    [Fact]
    public async Task DataAndEndArriveTogether_ZeroByteReadAfterTheShortRead_ReturnsAtOnce()
    {
        var (stream, peer) = await ConnectAsync();
        await using var _ = stream;
        using var __ = peer;
        await peer.SendAsync("tail"u8.ToArray());
        peer.Shutdown(SocketShutdown.Send);
        await Task.Delay(100);

        // One edge announced both; the short read takes the data and leaves the end, which no further edge announces.
        var buffer = new byte[64];
        Assert.Equal(4, await stream.ReadAsync(buffer).AsTask().WaitAsync(Wait));
        Assert.Equal(0, await stream.ReadAsync(Memory<byte>.Empty).AsTask().WaitAsync(Wait));
        Assert.Equal(0, await stream.ReadAsync(buffer).AsTask().WaitAsync(Wait));
    }

    [Fact]
    public async Task ReadsAfterThePeersEnd_ReturnZeroAtOnce_ZeroByteReadsToo()
    {
        var (stream, peer) = await ConnectAsync();
        await using var _ = stream;
        await peer.SendAsync("last"u8.ToArray());
        peer.Shutdown(SocketShutdown.Send);
        var buffer = new byte[64];
        var total = 0;
        int read;
        while ((read = await stream.ReadAsync(buffer.AsMemory(total)).AsTask().WaitAsync(Wait)) > 0)
        {
            total += read;
        }

        Assert.Equal(4, total);
        Assert.Equal(0, await stream.ReadAsync(Memory<byte>.Empty).AsTask().WaitAsync(Wait));
        Assert.Equal(0, await stream.ReadAsync(buffer).AsTask().WaitAsync(Wait));
        peer.Dispose();
    }

    [Fact]
    public async Task PeerCloses_PendingReadReturnsZero()
    {
        var (stream, peer) = await ConnectAsync();
        await using var _ = stream;

        var read = stream.ReadAsync(new byte[8]).AsTask();
        peer.Dispose();

        Assert.Equal(0, await read.WaitAsync(Wait));
    }

    [Fact]
    public async Task DisposedFromAnotherThread_PendingReadFails()
    {
        var (stream, peer) = await ConnectAsync();
        using var _ = peer;

        var read = stream.ReadAsync(new byte[8]).AsTask();
        await Task.Run(stream.Dispose);

        await Assert.ThrowsAnyAsync<ObjectDisposedException>(() => read.WaitAsync(Wait));
        await GatewayTestHost.WaitUntilAsync(() => Task.FromResult(_counters.Open == 0), Wait, "connection closed");
    }

    [Fact]
    public async Task ReadCancelled_ThrowsOperationCanceled()
    {
        var (stream, peer) = await ConnectAsync();
        await using var _ = stream;
        using var __ = peer;

        using var cancel = new CancellationTokenSource(TimeSpan.FromMilliseconds(100));
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => stream.ReadAsync(new byte[8], cancel.Token).AsTask().WaitAsync(Wait));
    }

    [Fact]
    public async Task WriteLargerThanTheSocketBuffers_WaitsForTheReader_AllBytesArrive()
    {
        var (stream, peer) = await ConnectAsync();
        await using var _ = stream;
        using var __ = peer;
        var payload = RandomNumberGenerator.GetBytes(16 * 1024 * 1024);

        var write = stream.WriteAsync(payload).AsTask();
        await Task.Delay(100);
        Assert.False(write.IsCompleted, "16 MiB fit the socket buffers: the test no longer makes the writer wait");

        var received = new byte[payload.Length];
        var total = 0;
        while (total < received.Length)
        {
            total += await peer.ReceiveAsync(received.AsMemory(total)).AsTask().WaitAsync(Wait);
        }

        await write.WaitAsync(Wait);
        Assert.Equal(SHA256.HashData(payload), SHA256.HashData(received));
    }

    [Fact]
    public async Task PeerResets_WriteFailsWithIOException()
    {
        var (stream, peer) = await ConnectAsync();
        await using var _ = stream;
        peer.LingerState = new LingerOption(true, 0);
        peer.Dispose();
        await Task.Delay(50);

        await Assert.ThrowsAsync<IOException>(async () =>
        {
            for (var i = 0; i < 100; i++)
            {
                await stream.WriteAsync(new byte[64 * 1024]);
            }
        });
    }
}
