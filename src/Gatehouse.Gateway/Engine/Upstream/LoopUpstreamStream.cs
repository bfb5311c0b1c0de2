using System.Net.Sockets;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Gatehouse.Gateway.Engine.Upstream;

/// <summary>
/// A TCP connection to a node, carried by the <see cref="EventLoop"/> that serves the client connections of the
/// requests using it. Reads and writes are tried at once on the calling thread (normally that loop's); only a socket
/// with nothing to read or a full send buffer makes the caller wait, and the loop's edge then continues it on the
/// loop thread. So a proxied exchange whose client and node sockets share a loop never leaves that thread: no
/// readiness hand-off to the platform's socket engine, no thread-pool dispatch.
/// </summary>
/// <remarks>
/// The HTTP/1.1 and HTTP/2 client on top is the platform's <see cref="SocketsHttpHandler"/> (this stream is what its
/// <c>ConnectCallback</c> returns), so framing, pooling and reuse checks stay the platform's. The <see cref="Socket"/>
/// only owns the descriptor: its SafeHandle is referenced around every system call, so a close from another thread
/// can never hand a reused descriptor to a call in flight. The socket never runs an operation of the platform's
/// engine, so that engine never registers it.
/// </remarks>
internal sealed partial class LoopUpstreamStream : Stream, ILoopSocket
{
    private static long s_lastId;

    private readonly Socket _socket;
    private readonly EventLoop _loop;
    private readonly LoopCounters _counters;
    private readonly LoopSignal _readable = new();
    private readonly LoopSignal _writable = new();
    private int _disposed;
    private int _closed;
    private volatile int _registrationErrno;
    private bool _counted;

    // Reader-only state (one read at a time): the socket was empty as of this read epoch.
    private bool _drained;
    private int _drainedEpoch;
    private volatile bool _hangUp;
    private string? _id;

    private LoopUpstreamStream(Socket socket, EventLoop loop, LoopCounters counters)
    {
        _socket = socket;
        _loop = loop;
        _counters = counters;
        Fd = (int)socket.SafeHandle.DangerousGetHandle();
        Generation = EventLoop.NextGeneration();
    }

    public int Fd { get; }

    public uint Generation { get; }

    public int Slot { get; set; } = -1;

    public string ConnectionId => _id ??= "U" + Interlocked.Increment(ref s_lastId).ToString("x", System.Globalization.CultureInfo.InvariantCulture);

    public override bool CanRead => true;

    public override bool CanWrite => true;

    public override bool CanSeek => false;

    public override long Length => throw new NotSupportedException();

    public override long Position
    {
        get => throw new NotSupportedException();
        set => throw new NotSupportedException();
    }

    public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        var epoch = _readable.Epoch;

        // When no edge came since a read emptied the socket, nothing is there to read (bytes that arrived meanwhile
        // bring an edge the loop is about to report), so the read waits for that edge without asking the socket
        // first. This is the common case: the pool's read-ahead when it hands out a connection for the next request,
        // and the watch on an idle one. Not once the peer hung up: its FIN can sit behind the data of that short
        // read, and no further edge would announce it.
        if (_drained && epoch == _drainedEpoch && !_hangUp)
        {
            ObjectDisposedException.ThrowIf(_disposed != 0, this);
            return ReadWhenReadableAsync(buffer, epoch, cancellationToken);
        }

        var received = Receive(buffer.Span, epoch, out var errno);
        if (received >= 0)
        {
            return new ValueTask<int>(received);
        }

        return errno is LinuxNative.EAgain or LinuxNative.EIntr
            ? ReadWhenReadableAsync(buffer, epoch, cancellationToken)
            : ValueTask.FromException<int>(ToIOException(errno, "recv"));
    }

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<int> ReadWhenReadableAsync(Memory<byte> buffer, int epoch, CancellationToken cancellationToken)
    {
        using var registration = cancellationToken.CanBeCanceled
            ? cancellationToken.UnsafeRegister(static s => ((LoopUpstreamStream)s!).WakeAll(), this)
            : default;
        while (true)
        {
            await _readable.WaitAsync(epoch).ConfigureAwait(false);
            cancellationToken.ThrowIfCancellationRequested();

            // A zero-byte read (the pool's watch on an idle connection, or a wait before renting a buffer) asks only
            // for readiness, which the edge just reported: no system call to confirm it. Data, end or error, the
            // next real read finds out which.
            if (buffer.IsEmpty)
            {
                ObjectDisposedException.ThrowIf(_disposed != 0, this);
                return 0;
            }

            epoch = _readable.Epoch;
            var received = Receive(buffer.Span, epoch, out var errno);
            if (received >= 0)
            {
                return received;
            }

            if (errno is not (LinuxNative.EAgain or LinuxNative.EIntr))
            {
                throw ToIOException(errno, "recv");
            }
        }
    }

    /// <summary>
    /// One recv; a zero-byte read peeks, so it reports readiness without consuming. -1 with errno when it failed.
    /// Notes whether the socket was left empty as of <paramref name="epoch"/> (read before the call): a short read or
    /// EAGAIN leaves it empty, a full buffer may not have.
    /// </summary>
    private unsafe int Receive(Span<byte> buffer, int epoch, out int errno)
    {
        ObjectDisposedException.ThrowIf(_disposed != 0, this);
        var added = false;
        _socket.SafeHandle.DangerousAddRef(ref added);
        try
        {
            nint received;
            if (buffer.IsEmpty)
            {
                byte probe;
                received = LinuxNative.Recv(Fd, &probe, 1, LinuxNative.MsgPeek);
                if (received > 0)
                {
                    received = 0;
                }
            }
            else
            {
                fixed (byte* p = buffer)
                {
                    received = LinuxNative.Recv(Fd, p, buffer.Length, 0);
                }
            }

            errno = received < 0 ? Marshal.GetLastPInvokeError() : 0;
            if (received < 0 ? errno == LinuxNative.EAgain : !buffer.IsEmpty)
            {
                // Not after the end (0): every read from then on returns at once, and no edge will say so again.
                _drained = received < 0 || (received > 0 && received < buffer.Length);
                _drainedEpoch = epoch;
            }

            return (int)received;
        }
        finally
        {
            _socket.SafeHandle.DangerousRelease();
        }
    }

    public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        while (!buffer.IsEmpty)
        {
            var epoch = _writable.Epoch;
            var sent = Send(buffer.Span, out var errno);
            if (sent > 0)
            {
                buffer = buffer[sent..];
                continue;
            }

            if (errno == LinuxNative.EIntr)
            {
                continue;
            }

            return errno == LinuxNative.EAgain
                ? WriteWhenWritableAsync(buffer, epoch, cancellationToken)
                : ValueTask.FromException(ToIOException(errno, "send"));
        }

        return default;
    }

    private async ValueTask WriteWhenWritableAsync(ReadOnlyMemory<byte> buffer, int epoch, CancellationToken cancellationToken)
    {
        using var registration = cancellationToken.CanBeCanceled
            ? cancellationToken.UnsafeRegister(static s => ((LoopUpstreamStream)s!).WakeAll(), this)
            : default;
        while (!buffer.IsEmpty)
        {
            await _writable.WaitAsync(epoch).ConfigureAwait(false);
            cancellationToken.ThrowIfCancellationRequested();
            do
            {
                epoch = _writable.Epoch;
                var sent = Send(buffer.Span, out var errno);
                if (sent > 0)
                {
                    buffer = buffer[sent..];
                }
                else if (errno == LinuxNative.EAgain)
                {
                    break;
                }
                else if (errno != LinuxNative.EIntr)
                {
                    throw ToIOException(errno, "send");
                }
            }
            while (!buffer.IsEmpty);
        }
    }

    private unsafe int Send(ReadOnlySpan<byte> buffer, out int errno)
    {
        ObjectDisposedException.ThrowIf(_disposed != 0, this);
        var added = false;
        _socket.SafeHandle.DangerousAddRef(ref added);
        try
        {
            nint sent;
            fixed (byte* p = buffer)
            {
                sent = LinuxNative.Send(Fd, p, buffer.Length, LinuxNative.MsgNoSignal);
            }

            errno = sent < 0 ? Marshal.GetLastPInvokeError() : 0;
            return (int)sent;
        }
        finally
        {
            _socket.SafeHandle.DangerousRelease();
        }
    }

    // The synchronous members exist for the Stream contract (the forwarder only uses the asynchronous ones). They
    // block, so they are refused on the loop thread, which would otherwise wait for itself.
    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override int Read(Span<byte> buffer)
    {
        var copy = new byte[buffer.Length];
        var read = Block(ReadAsync(copy).AsTask());
        copy.AsSpan(0, read).CopyTo(buffer);
        return read;
    }

    public override void Write(byte[] buffer, int offset, int count) => Block(WriteAsync(buffer.AsMemory(offset, count)).AsTask());

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override void Flush()
    {
    }

    public override Task FlushAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    private T Block<T>(Task<T> task)
    {
        ThrowIfBlockingTheLoop(task);
        return task.GetAwaiter().GetResult();
    }

    private void Block(Task task)
    {
        ThrowIfBlockingTheLoop(task);
        task.GetAwaiter().GetResult();
    }

    private void ThrowIfBlockingTheLoop(Task task)
    {
        if (_loop.IsLoopThread && !task.IsCompleted)
        {
            throw new InvalidOperationException("A blocking call on the event loop's own thread would never complete.");
        }
    }

    private static IOException ToIOException(int errno, string call) =>
        new($"Upstream {call} failed: errno {errno}", ToSocketException(errno));
}
