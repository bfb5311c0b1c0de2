using System.Buffers;
using System.Collections.Concurrent;
using System.Net.Sockets;
using Gatehouse.Dubbo.Protocol;
using Microsoft.Extensions.Logging;

namespace Gatehouse.Dubbo.Client;

/// <summary>
/// One long-lived TCP connection to one provider, multiplexing calls by request id (the connection layer).
/// </summary>
/// <remarks>
/// Calls write whole frames under a write lock (one frame per write, so frames never interleave) and wait on a
/// completion keyed by their request id; a single read loop completes them. Provider heartbeats are answered;
/// when nothing was read for <see cref="DubboClientOptions.HeartbeatInterval"/> the connection sends one, and after
/// three silent intervals it closes. Once closed (read failure, protocol error, dispose) every pending call fails
/// with <see cref="DubboConnectionLostException"/> and the connection is never reused: <see cref="DubboInvoker"/>
/// opens a new one.
/// </remarks>
internal sealed partial class DubboConnection : Gatehouse.Rpc.IPooledConnection
{
    private static long s_nextRequestId;
    private readonly Socket _socket;
    private readonly NetworkStream _stream;
    private readonly ConcurrentDictionary<long, TaskCompletionSource<(DubboHeader Header, byte[] Body)>> _pending = new();
    private readonly SemaphoreSlim _writeLock = new(1, 1);
    private readonly CancellationTokenSource _closing = new();
    private readonly DubboClientOptions _options;
    private readonly ILogger _logger;
    private readonly Timer _heartbeat;
    private long _lastReadTicks = Environment.TickCount64;
    private int _closed;

    private DubboConnection(Socket socket, string endpoint, DubboClientOptions options, ILogger logger)
    {
        _socket = socket;
        _stream = new NetworkStream(socket, ownsSocket: true);
        Endpoint = endpoint;
        _options = options;
        _logger = logger;
        _heartbeat = new Timer(static state => ((DubboConnection)state!).OnHeartbeatTimer(), this,
            options.HeartbeatInterval, options.HeartbeatInterval);
        // Started last: a read loop that fails at once closes the connection, which disposes the timer.
        _ = Task.Run(ReadLoopAsync);
    }

    /// <summary><c>host:port</c> of the provider.</summary>
    public string Endpoint { get; }

    /// <summary>True once the connection has failed or been disposed; it then takes no calls.</summary>
    public bool IsClosed => Volatile.Read(ref _closed) != 0;

    /// <summary>Number of calls waiting for a response (for tests and diagnostics).</summary>
    public int PendingCount => _pending.Count;

    /// <summary>Opens a connection; throws <see cref="DubboConnectException"/> when the provider cannot be reached in time.</summary>
    public static async Task<DubboConnection> ConnectAsync(string host, int port, DubboClientOptions options, ILogger logger,
        CancellationToken cancellationToken)
    {
        var socket = await Gatehouse.Rpc.RpcSocket.ConnectAsync("dubbo", host, port, options.ConnectTimeout,
            static (message, inner) => new DubboConnectException(message, inner), cancellationToken);

        return new DubboConnection(socket, $"{host}:{port}", options, logger);
    }

    /// <summary>Sends one call and waits for its response.</summary>
    /// <exception cref="DubboTimeoutException">No response within <paramref name="timeout"/>.</exception>
    /// <exception cref="DubboConnectionLostException">The connection closed before the response.</exception>
    /// <exception cref="DubboStatusException">The response status was not 20.</exception>
    public async Task<DubboResponse> InvokeAsync(DubboInvocation invocation, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var id = Interlocked.Increment(ref s_nextRequestId);
        var completion = new TaskCompletionSource<(DubboHeader, byte[])>(TaskCreationOptions.RunContinuationsAsynchronously);
        _pending[id] = completion;
        try
        {
            var frame = new ArrayBufferWriter<byte>(512);
            DubboCodec.WriteRequest(id, invocation, timeout == Timeout.InfiniteTimeSpan ? 0 : (int)timeout.TotalMilliseconds, frame);
            await WriteAsync(frame.WrittenMemory, cancellationToken);
            if (IsClosed)
            {
                // Closed between registering and writing: the read loop's sweep may have run before the registration.
                throw new DubboConnectionLostException($"connection to {Endpoint} closed");
            }

            (DubboHeader Header, byte[] Body) response;
            try
            {
                response = await completion.Task.WaitAsync(timeout, cancellationToken);
            }
            catch (TimeoutException)
            {
                throw new DubboTimeoutException(
                    $"no response from dubbo://{Endpoint} to {invocation.Service}.{invocation.Method} within {timeout.TotalMilliseconds:0} ms");
            }

            if (response.Header.Status != (byte)DubboStatus.Ok)
            {
                throw new DubboStatusException((DubboStatus)response.Header.Status, DubboCodec.ReadErrorMessage(response.Body));
            }

            try
            {
                return DubboCodec.ReadResponseBody(response.Body);
            }
            catch (Hessian.HessianFormatException e)
            {
                throw new DubboProtocolException($"undecodable response from {Endpoint}: {e.Message}", e);
            }
        }
        finally
        {
            _pending.TryRemove(id, out _);
        }
    }

    private async ValueTask WriteAsync(ReadOnlyMemory<byte> frame, CancellationToken cancellationToken)
    {
        if (IsClosed)
        {
            throw new DubboConnectionLostException($"connection to {Endpoint} closed");
        }

        await _writeLock.WaitAsync(cancellationToken);
        try
        {
            await _stream.WriteAsync(frame, _closing.Token);
        }
        catch (Exception e) when (e is IOException or SocketException or ObjectDisposedException or OperationCanceledException)
        {
            // The write is not cancellable by the caller (a cut frame would corrupt the stream): this is the
            // connection failing or closing.
            Close(e);
            throw new DubboConnectionLostException($"writing to {Endpoint} failed: {e.Message}", e);
        }
        finally
        {
            _writeLock.Release();
        }
    }

    private async Task ReadLoopAsync()
    {
        var header = new byte[DubboHeader.Length];
        try
        {
            while (true)
            {
                await _stream.ReadExactlyAsync(header, _closing.Token);
                var parsed = DubboHeader.Read(header);
                var body = parsed.BodyLength == 0 ? [] : new byte[parsed.BodyLength];
                if (body.Length > 0)
                {
                    await _stream.ReadExactlyAsync(body, _closing.Token);
                }

                Volatile.Write(ref _lastReadTicks, Environment.TickCount64);
                if (parsed.IsRequest)
                {
                    if (parsed.IsEvent && parsed.IsTwoWay)
                    {
                        // The provider's heartbeat: answered with the same id, status 20, body null.
                        var reply = new byte[DubboCodec.HeartbeatLength];
                        DubboCodec.WriteHeartbeat(parsed.RequestId, reply: true, reply);
                        await WriteAsync(reply, CancellationToken.None);
                    }

                    continue;
                }

                if (_pending.TryRemove(parsed.RequestId, out var completion))
                {
                    completion.TrySetResult((parsed, body));
                }
            }
        }
        catch (Exception e)
        {
            Close(e);
        }
    }

    private void OnHeartbeatTimer()
    {
        if (IsClosed)
        {
            return;
        }

        var silentMs = Environment.TickCount64 - Volatile.Read(ref _lastReadTicks);
        var intervalMs = (long)_options.HeartbeatInterval.TotalMilliseconds;
        if (silentMs >= 3 * intervalMs)
        {
            Close(new TimeoutException($"nothing read from {Endpoint} for {silentMs} ms"));
            return;
        }

        if (silentMs >= intervalMs)
        {
            var frame = new byte[DubboCodec.HeartbeatLength];
            DubboCodec.WriteHeartbeat(Interlocked.Increment(ref s_nextRequestId), reply: false, frame);
            _ = SendHeartbeatAsync(frame);
        }
    }

    private async Task SendHeartbeatAsync(byte[] frame)
    {
        try
        {
            await WriteAsync(frame, CancellationToken.None);
        }
        catch (DubboConnectionLostException)
        {
            // Close has run; the next call reconnects.
        }
    }

    private void Close(Exception reason)
    {
        if (Interlocked.Exchange(ref _closed, 1) != 0)
        {
            return;
        }

        if (reason is not OperationCanceledException)
        {
            Log.ConnectionClosed(_logger, Endpoint, reason.Message);
        }

        _heartbeat.Dispose();
        _closing.Cancel();
        _stream.Dispose();
        foreach (var pending in _pending)
        {
            pending.Value.TrySetException(new DubboConnectionLostException($"connection to {Endpoint} closed: {reason.Message}", reason));
        }
    }

    /// <inheritdoc/>
    public ValueTask DisposeAsync()
    {
        Close(new OperationCanceledException("disposed"));
        return ValueTask.CompletedTask;
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 5001, Level = LogLevel.Information, Message = "Dubbo connection to {Endpoint} closed: {Reason}")]
        public static partial void ConnectionClosed(ILogger logger, string endpoint, string reason);
    }
}
