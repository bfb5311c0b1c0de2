using System.Buffers;
using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using Gatehouse.Tars.Client;
using Gatehouse.Tars.Codec;
using Gatehouse.Tars.Protocol;

namespace Gatehouse.Tars.Tests.Client;

/// <summary>The connection layer against a scripted TCP server: correlation by request id, closes, reconnects.</summary>
public sealed class TarsConnectionTests : IAsyncLifetime
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly TarsInvoker _invoker = new();

    private int Port => ((IPEndPoint)_listener.LocalEndpoint).Port;

    public Task InitializeAsync()
    {
        _listener.Start();
        return Task.CompletedTask;
    }

    public async Task DisposeAsync()
    {
        await _invoker.DisposeAsync();
        _listener.Stop();
    }

    private static TarsInvocation Call(string function) => new(TarsVersion.Json, "A.B.C", function, "{}"u8.ToArray());

    private static async Task<(int Id, string Function)> ReadRequestAsync(NetworkStream stream)
    {
        var header = new byte[4];
        await stream.ReadExactlyAsync(header);
        var packet = new byte[TarsCodec.ReadLength(header) - 4];
        await stream.ReadExactlyAsync(packet);
        var reader = new TarsReader(packet);
        var id = (int)reader.ReadIntegerField(4);
        return (id, reader.ReadStringField(6));
    }

    private static async Task WriteResponseAsync(NetworkStream stream, int id, int ret, string body)
    {
        var output = new ArrayBufferWriter<byte>();
        output.GetSpan(4);
        output.Advance(4);
        var writer = new TarsWriter(output);
        writer.WriteInt16(1, TarsVersion.Json);
        writer.WriteInt8(2, 0);
        writer.WriteInt32(3, id);
        writer.WriteInt32(4, 0);
        writer.WriteInt32(5, ret);
        writer.WriteBytes(6, System.Text.Encoding.UTF8.GetBytes(body));
        writer.WriteStringMap(7, null);
        var frame = output.WrittenSpan.ToArray();
        BinaryPrimitives.WriteInt32BigEndian(frame, frame.Length);
        await stream.WriteAsync(frame);
    }

    [Fact]
    public async Task Responses_OutOfOrder_ReachTheirCallers()
    {
        var server = Task.Run(async () =>
        {
            using var client = await _listener.AcceptTcpClientAsync();
            var stream = client.GetStream();
            var first = await ReadRequestAsync(stream);
            var second = await ReadRequestAsync(stream);
            // Answered in the opposite order, the second one as one write with a third reply nobody waits for.
            await WriteResponseAsync(stream, second.Id, 0, $"\"{second.Function}\"");
            await WriteResponseAsync(stream, 999_999, 0, "\"stray\"");
            await WriteResponseAsync(stream, first.Id, 0, $"\"{first.Function}\"");
            await Task.Delay(500);
        });

        var a = _invoker.InvokeAsync("127.0.0.1", Port, Call("a"), TimeSpan.FromSeconds(5));
        var b = _invoker.InvokeAsync("127.0.0.1", Port, Call("b"), TimeSpan.FromSeconds(5));

        Assert.Equal("\"a\"", System.Text.Encoding.UTF8.GetString((await a).Buffer));
        Assert.Equal("\"b\"", System.Text.Encoding.UTF8.GetString((await b).Buffer));
        await server;
    }

    [Fact]
    public async Task ServerCloses_PendingCallsFail_NextCallReconnects()
    {
        var server = Task.Run(async () =>
        {
            using (var first = await _listener.AcceptTcpClientAsync())
            {
                await ReadRequestAsync(first.GetStream());
            }

            using var second = await _listener.AcceptTcpClientAsync();
            var stream = second.GetStream();
            var request = await ReadRequestAsync(stream);
            await WriteResponseAsync(stream, request.Id, 0, "1");
            await Task.Delay(500);
        });

        await Assert.ThrowsAsync<TarsConnectionLostException>(() => _invoker.InvokeAsync("127.0.0.1", Port, Call("x"), TimeSpan.FromSeconds(5)));
        var response = await _invoker.InvokeAsync("127.0.0.1", Port, Call("y"), TimeSpan.FromSeconds(5));
        Assert.Equal("1", System.Text.Encoding.UTF8.GetString(response.Buffer));
        await server;
    }

    [Fact]
    public async Task Timeout_RemovesOnlyThatCall_LateAnswerIgnored()
    {
        var server = Task.Run(async () =>
        {
            using var client = await _listener.AcceptTcpClientAsync();
            var stream = client.GetStream();
            var one = await ReadRequestAsync(stream);
            var two = await ReadRequestAsync(stream);
            var (slow, fast) = one.Function == "slow" ? (one, two) : (two, one);
            await WriteResponseAsync(stream, fast.Id, 0, "\"fast\"");
            await Task.Delay(400);
            await WriteResponseAsync(stream, slow.Id, 0, "\"late\"");
            var third = await ReadRequestAsync(stream);
            await WriteResponseAsync(stream, third.Id, -4, "");
            await Task.Delay(500);
        });

        var slowCall = _invoker.InvokeAsync("127.0.0.1", Port, Call("slow"), TimeSpan.FromMilliseconds(150));
        var fastCall = _invoker.InvokeAsync("127.0.0.1", Port, Call("fast"), TimeSpan.FromSeconds(5));
        await Assert.ThrowsAsync<TarsTimeoutException>(() => slowCall);
        Assert.Equal("\"fast\"", System.Text.Encoding.UTF8.GetString((await fastCall).Buffer));
        await Task.Delay(500);
        var e = await Assert.ThrowsAsync<TarsReturnCodeException>(() => _invoker.InvokeAsync("127.0.0.1", Port, Call("third"), TimeSpan.FromSeconds(5)));
        Assert.Equal(TarsReturnCodes.NoServant, e.ReturnCode);
        await server;
    }

    [Fact]
    public async Task BadPacketLength_ClosesTheConnection()
    {
        var server = Task.Run(async () =>
        {
            using var client = await _listener.AcceptTcpClientAsync();
            var stream = client.GetStream();
            await ReadRequestAsync(stream);
            await stream.WriteAsync(new byte[] { 0x7F, 0xFF, 0xFF, 0xFF });
            await Task.Delay(500);
        });

        await Assert.ThrowsAsync<TarsConnectionLostException>(() => _invoker.InvokeAsync("127.0.0.1", Port, Call("x"), TimeSpan.FromSeconds(5)));
        await server;
    }

    [Fact]
    public async Task NothingListening_ConnectException()
    {
        _listener.Stop();
        await Assert.ThrowsAsync<TarsConnectException>(() => _invoker.InvokeAsync("127.0.0.1", Port, Call("x"), TimeSpan.FromSeconds(5)));
    }
}
