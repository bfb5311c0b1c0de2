using System.Buffers;
using System.Buffers.Binary;
using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net.Sockets;
using System.Threading.Channels;
using Gatehouse.ZooKeeper.Wire;
using Microsoft.Extensions.Logging;

namespace Gatehouse.ZooKeeper.Connection;

/// <summary>
/// One TCP connection to one server within a session: the handshake, then a write loop (requests pipelined from the
/// client's queue, pings when idle) and a read loop (replies matched by xid, notifications, pings). When either loop
/// fails the connection is over and every request awaiting a reply fails with <see cref="ConnectionLossException"/>;
/// requests still queued stay queued for the next connection.
/// </summary>
internal sealed class ZooKeeperConnection : IAsyncDisposable
{
    // jute.maxbuffer is 1 MiB by default; a larger frame means a corrupt stream (or a server configured far beyond it).
    private const int MaxFrameLength = 64 * 1024 * 1024;
    private const int MaxBatch = 128;

    private readonly Socket _socket;
    private readonly NetworkStream _stream;
    private readonly ConcurrentDictionary<int, ZooKeeperRequest> _pending = new();
    private readonly CancellationTokenSource _stop = new();
    private readonly string _server;
    private int _lastXid;
    private int _disposed;

    private ZooKeeperConnection(Socket socket, string server)
    {
        _socket = socket;
        _server = server;
        _stream = new NetworkStream(socket, ownsSocket: true);
    }

    public string Server => _server;

    /// <summary>Connects and performs the session handshake, all within <paramref name="timeout"/>.</summary>
    public static async Task<(ZooKeeperConnection Connection, ConnectResponse Response)> OpenAsync(
        string host, int port, ConnectRequest request, TimeSpan timeout, CancellationToken cancellationToken)
    {
        using var timeoutSource = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeoutSource.CancelAfter(timeout);
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        ZooKeeperConnection? connection = null;
        try
        {
            await socket.ConnectAsync(host, port, timeoutSource.Token);
            connection = new ZooKeeperConnection(socket, $"{host}:{port}");
            var buffer = new ArrayBufferWriter<byte>(64);
            WriteFrame(buffer, writer => request.Write(writer));
            await connection._stream.WriteAsync(buffer.WrittenMemory, timeoutSource.Token);
            var frame = await connection.ReadFrameAsync(timeoutSource.Token);
            try
            {
                var reader = new JuteReader(frame.AsSpan(0, frame.Length));
                return (connection, ConnectResponse.Read(ref reader));
            }
            finally
            {
                frame.Dispose();
            }
        }
        catch (Exception exception)
        {
            if (connection is not null)
            {
                await connection.DisposeAsync();
            }
            else
            {
                socket.Dispose();
            }

            if (exception is OperationCanceledException && !cancellationToken.IsCancellationRequested)
            {
                throw new TimeoutException($"No ZooKeeper handshake with {host}:{port} within {timeout.TotalSeconds:0.###} s.");
            }

            throw;
        }
    }

    /// <summary>
    /// Runs until the connection fails or <paramref name="cancellationToken"/> is cancelled, then fails the requests
    /// awaiting replies. Returns the failure (null when cancelled).
    /// </summary>
    /// <param name="outgoing">The client's request queue, shared by successive connections.</param>
    /// <param name="firstBody">A SetWatches body to send before any request (re-registers watches), or null.</param>
    /// <param name="sessionTimeout">The negotiated timeout: pings every third of it, silence for two thirds ends the connection.</param>
    /// <param name="handler">Receives zxids and notifications.</param>
    /// <param name="logger">Where protocol oddities are logged.</param>
    /// <param name="cancellationToken">Ends the connection (client closing).</param>
    public async Task<Exception?> RunAsync(
        ChannelReader<ZooKeeperRequest> outgoing, byte[]? firstBody, TimeSpan sessionTimeout,
        IConnectionHandler handler, ILogger logger, CancellationToken cancellationToken)
    {
        using var registration = cancellationToken.Register(static state => ((CancellationTokenSource)state!).Cancel(), _stop);
        Exception? failure = null;
        var writeLoop = WriteLoopAsync(outgoing, firstBody, sessionTimeout / 3);
        var readLoop = ReadLoopAsync(handler, logger, sessionTimeout * 2 / 3);
        var first = await Task.WhenAny(writeLoop, readLoop);
        failure = first.Exception?.GetBaseException();
        _stop.Cancel();
        _socket.Dispose(); // unblocks the other loop's socket call
        try
        {
            await Task.WhenAll(writeLoop, readLoop);
        }
        catch
        {
            // The first failure is the one that ended the connection; the other loop only saw its consequences.
        }

        failure ??= cancellationToken.IsCancellationRequested ? null : new IOException($"The connection to {_server} closed.");
        foreach (var xid in _pending.Keys)
        {
            if (_pending.TryRemove(xid, out var request))
            {
                request.Fail(new ConnectionLossException(request.Path, failure));
            }
        }

        return failure;
    }

    private async Task WriteLoopAsync(ChannelReader<ZooKeeperRequest> outgoing, byte[]? firstBody, TimeSpan pingInterval)
    {
        var token = _stop.Token;
        var buffer = new ArrayBufferWriter<byte>(4096);
        if (firstBody is not null)
        {
            WriteRequestFrame(buffer, Xids.SetWatches, OpCode.SetWatches, firstBody);
            await _stream.WriteAsync(buffer.WrittenMemory, token);
        }

        var lastSend = Stopwatch.GetTimestamp();
        Task<bool>? waitForRequest = null;
        while (!token.IsCancellationRequested)
        {
            buffer.ResetWrittenCount();
            var count = 0;

            // Pipelining: everything queued goes out in one write; replies are matched by xid.
            while (count < MaxBatch && outgoing.TryRead(out var request))
            {
                if (request.IsAbandoned)
                {
                    continue;
                }

                var xid = ++_lastXid;
                _pending[xid] = request; // before the write, so the reply cannot arrive first
                WriteRequestFrame(buffer, xid, request.Op, request.Body);
                count++;
            }

            if (count > 0)
            {
                await _stream.WriteAsync(buffer.WrittenMemory, token);
                lastSend = Stopwatch.GetTimestamp();
                continue;
            }

            var untilPing = pingInterval - Stopwatch.GetElapsedTime(lastSend);
            if (untilPing <= TimeSpan.Zero)
            {
                WriteRequestFrame(buffer, Xids.Ping, OpCode.Ping, []);
                await _stream.WriteAsync(buffer.WrittenMemory, token);
                lastSend = Stopwatch.GetTimestamp();
                continue;
            }

            waitForRequest ??= outgoing.WaitToReadAsync(token).AsTask();
            try
            {
                if (!await waitForRequest.WaitAsync(untilPing, token))
                {
                    return; // queue completed: the client is closing
                }

                waitForRequest = null;
            }
            catch (TimeoutException)
            {
                // Idle for a ping interval: loop round and ping.
            }
        }
    }

    private async Task ReadLoopAsync(IConnectionHandler handler, ILogger logger, TimeSpan readTimeout)
    {
        // The server answers every ping, so silence for two thirds of the session timeout means a dead link;
        // giving up then leaves a third of the timeout to reach another server before the session expires.
        using var silence = CancellationTokenSource.CreateLinkedTokenSource(_stop.Token);
        while (true)
        {
            silence.CancelAfter(readTimeout);
            Frame frame;
            try
            {
                frame = await ReadFrameAsync(silence.Token);
            }
            catch (OperationCanceledException) when (!_stop.IsCancellationRequested)
            {
                throw new TimeoutException($"Nothing received from {_server} for {readTimeout.TotalSeconds:0.###} s (not even ping replies).");
            }

            using (frame)
            {
                Dispatch(frame.AsSpan(0, frame.Length), handler, logger);
            }
        }
    }

    private void Dispatch(ReadOnlySpan<byte> frame, IConnectionHandler handler, ILogger logger)
    {
        var reader = new JuteReader(frame);
        var xid = reader.ReadInt();
        var zxid = reader.ReadLong();
        var code = (ZooKeeperErrorCode)reader.ReadInt();
        switch (xid)
        {
            case Xids.Ping:
            case Xids.Auth:
                return;
            case Xids.Notification:
                var type = (WatchedEventType)reader.ReadInt();
                reader.ReadInt(); // state: always SyncConnected for node events
                handler.OnNotification(type, reader.ReadString());
                return;
            case Xids.SetWatches:
                if (code != ZooKeeperErrorCode.Ok)
                {
                    logger.LogWarning("ZooKeeper SetWatches failed with {Code} on {Server}.", code, _server);
                }

                return;
        }

        if (zxid > 0)
        {
            handler.OnZxid(zxid);
        }

        if (_pending.TryRemove(xid, out var request))
        {
            request.Complete(code, frame[(frame.Length - reader.Remaining)..]);
        }
        else
        {
            logger.LogWarning("ZooKeeper reply with unknown xid {Xid} from {Server}.", xid, _server);
        }
    }

    private async Task<Frame> ReadFrameAsync(CancellationToken cancellationToken)
    {
        var header = new byte[4];
        await _stream.ReadExactlyAsync(header, cancellationToken);
        var length = BinaryPrimitives.ReadInt32BigEndian(header);
        if (length is < 0 or > MaxFrameLength)
        {
            throw new ZooKeeperProtocolException($"Frame length {length} from {_server} is out of range.");
        }

        var body = ArrayPool<byte>.Shared.Rent(Math.Max(length, 1));
        try
        {
            await _stream.ReadExactlyAsync(body.AsMemory(0, length), cancellationToken);
        }
        catch
        {
            ArrayPool<byte>.Shared.Return(body);
            throw;
        }

        return new Frame(body, length);
    }

    private static void WriteRequestFrame(ArrayBufferWriter<byte> buffer, int xid, OpCode op, byte[] body) =>
        WriteFrame(buffer, writer =>
        {
            writer.WriteInt(xid);
            writer.WriteInt((int)op);
            buffer.Write(body);
        });

    /// <summary>Appends a frame: a big-endian length, then what <paramref name="write"/> writes.</summary>
    private static void WriteFrame(ArrayBufferWriter<byte> buffer, Action<JuteWriter> write)
    {
        var start = buffer.WrittenCount;
        buffer.GetSpan(4);
        buffer.Advance(4);
        write(new JuteWriter(buffer));
        var length = buffer.WrittenCount - start - 4;

        // ArrayBufferWriter's written memory is contiguous, so the prefix can be patched in place.
        var written = System.Runtime.InteropServices.MemoryMarshal.AsMemory(buffer.WrittenMemory);
        BinaryPrimitives.WriteInt32BigEndian(written.Span.Slice(start, 4), length);
    }

    public ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return ValueTask.CompletedTask;
        }

        _stop.Cancel();
        _stop.Dispose();
        return _stream.DisposeAsync();
    }

    private readonly struct Frame(byte[] buffer, int length) : IDisposable
    {
        public int Length => length;

        public Span<byte> AsSpan(int start, int count) => buffer.AsSpan(start, count);

        public void Dispose() => ArrayPool<byte>.Shared.Return(buffer);
    }
}
