using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Gatehouse.Rpc.Tests;

/// <summary>The connection failed or closed with the call in flight (the test protocol's exception).</summary>
public sealed class TestConnectionLostException(string message, Exception? inner) : IOException(message, inner);

/// <summary>The server answered with an error (the test protocol's exception).</summary>
public sealed class TestServerErrorException(string message) : Exception(message);

/// <summary>No answer in time (the test protocol's exception).</summary>
public sealed class TestTimeoutException(string message) : TimeoutException(message);

/// <summary>
/// A minimal protocol over <see cref="MultiplexedConnection{TRequestId, TCall, TFrame, TResult}"/>: a frame is a 4-byte
/// big-endian length of what follows, a 4-byte request id and UTF-8 text. Id 0 from the server is an event that
/// answers no call; an answer starting with <c>error:</c> is the server's error, thrown to that call alone.
/// </summary>
internal sealed class TestConnection : MultiplexedConnection<int, string, string, string>
{
    private static int s_nextRequestId;
    private readonly byte[] _prefix = new byte[8];

    public TestConnection(Stream stream, string endpoint = "test:1") : base(stream, endpoint) => StartReading();

    /// <summary>Why the connection closed (null when disposed); set once it has.</summary>
    public TaskCompletionSource<Exception?> Closed { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public int EventsRead { get; private set; }

    public Task<string> CallAsync(string text, TimeSpan? timeout = null, CancellationToken cancellationToken = default)
        => SendAsync(text, timeout ?? TimeSpan.FromSeconds(30), cancellationToken);

    public ValueTask WriteRawAsync(byte[] frame) => WriteFrameAsync(frame, CancellationToken.None);

    public static byte[] Frame(int id, string text)
    {
        var payload = Encoding.UTF8.GetBytes(text);
        var frame = new byte[8 + payload.Length];
        BinaryPrimitives.WriteInt32BigEndian(frame, 4 + payload.Length);
        BinaryPrimitives.WriteInt32BigEndian(frame.AsSpan(4), id);
        payload.CopyTo(frame, 8);
        return frame;
    }

    public static async Task<(int Id, string Text)> ReadFrameFromAsync(Stream stream)
    {
        var prefix = new byte[8];
        await stream.ReadExactlyAsync(prefix);
        var payload = new byte[BinaryPrimitives.ReadInt32BigEndian(prefix) - 4];
        await stream.ReadExactlyAsync(payload);
        return (BinaryPrimitives.ReadInt32BigEndian(prefix.AsSpan(4)), Encoding.UTF8.GetString(payload));
    }

    protected override int NextRequestId() => (Interlocked.Increment(ref s_nextRequestId) & 0x3FFFFFFF) + 1;

    protected override ReadOnlyMemory<byte> EncodeCall(int requestId, string call, TimeSpan timeout) => Frame(requestId, call);

    protected override async ValueTask<RpcFrame<int, string>> ReadFrameAsync(Stream stream, CancellationToken cancellationToken)
    {
        await stream.ReadExactlyAsync(_prefix, cancellationToken);
        var payload = new byte[BinaryPrimitives.ReadInt32BigEndian(_prefix) - 4];
        await stream.ReadExactlyAsync(payload, cancellationToken);
        var id = BinaryPrimitives.ReadInt32BigEndian(_prefix.AsSpan(4));
        if (id == 0)
        {
            EventsRead++;
            return RpcFrame<int, string>.None;
        }

        return RpcFrame<int, string>.Response(id, Encoding.UTF8.GetString(payload));
    }

    protected override string ReadResult(string frame)
        => frame.StartsWith("error:", StringComparison.Ordinal) ? throw new TestServerErrorException(frame[6..]) : frame;

    protected override Exception ConnectionLost(string message, Exception? inner) => new TestConnectionLostException(message, inner);

    protected override Exception CallTimedOut(string call, TimeSpan timeout) => new TestTimeoutException($"no answer to {call}");

    protected override void OnClosed(Exception? failure) => Closed.TrySetResult(failure);
}

/// <summary>A loopback TCP server the test scripts by hand, and a client connection to it.</summary>
internal sealed class LoopbackPair : IAsyncDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);

    private LoopbackPair()
    {
    }

    /// <summary>The server's side of the connection.</summary>
    public NetworkStream Server { get; private set; } = null!;

    /// <summary>The client's side, as given to the connection (wrapped so writes can be made to fail).</summary>
    public FaultyStream Client { get; private set; } = null!;

    public static async Task<LoopbackPair> OpenAsync()
    {
        var pair = new LoopbackPair();
        pair._listener.Start();
        var client = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        var accept = pair._listener.AcceptSocketAsync();
        await client.ConnectAsync(IPAddress.Loopback, ((IPEndPoint)pair._listener.LocalEndpoint).Port);
        pair.Server = new NetworkStream(await accept, ownsSocket: true);
        pair.Client = new FaultyStream(new NetworkStream(client, ownsSocket: true));
        return pair;
    }

    public async ValueTask DisposeAsync()
    {
        await Server.DisposeAsync();
        await Client.DisposeAsync();
        _listener.Stop();
    }
}

/// <summary>A stream passing through to another, whose writes fail with an <see cref="IOException"/> once told to.</summary>
internal sealed class FaultyStream(Stream inner) : Stream
{
    public volatile bool FailWrites;

    public override bool CanRead => true;
    public override bool CanWrite => true;
    public override bool CanSeek => false;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

    public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        => inner.ReadAsync(buffer, cancellationToken);

    public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
        => FailWrites ? ValueTask.FromException(new IOException("broken pipe")) : inner.WriteAsync(buffer, cancellationToken);

    public override int Read(byte[] buffer, int offset, int count) => inner.Read(buffer, offset, count);
    public override void Write(byte[] buffer, int offset, int count) => WriteAsync(buffer.AsMemory(offset, count)).AsTask().GetAwaiter().GetResult();
    public override void Flush() => inner.Flush();
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            inner.Dispose();
        }

        base.Dispose(disposing);
    }
}
