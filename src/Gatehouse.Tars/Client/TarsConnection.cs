using System.Buffers;
using System.Collections.Concurrent;
using System.Net.Sockets;
using Gatehouse.Tars.Protocol;
using Microsoft.Extensions.Logging;

namespace Gatehouse.Tars.Client;

/// <summary>
/// One long-lived TCP connection to one Tars server, multiplexing calls by request id (the connection layer).
/// </summary>
/// <remarks>
/// The design of the Dubbo connection: calls write whole packets under a write lock (one packet per write, so
/// packets never interleave) and wait on a completion keyed by their request id; a single read loop completes them.
/// Tars has no protocol heartbeat, so an idle connection is simply kept until the server closes it. Once closed
/// (read failure, protocol error, dispose) every pending call fails with <see cref="TarsConnectionLostException"/>
/// and the connection is never reused: <see cref="TarsInvoker"/> opens a new one.
/// </remarks>
internal sealed partial class TarsConnection : Gatehouse.Rpc.IPooledConnection
{
    private static int s_nextRequestId;
    private readonly NetworkStream _stream;
    private readonly ConcurrentDictionary<int, TaskCompletionSource<TarsResponse>> _pending = new();
    private readonly SemaphoreSlim _writeLock = new(1, 1);
    private readonly CancellationTokenSource _closing = new();
    private readonly ILogger _logger;
    private int _closed;

    private TarsConnection(Socket socket, string endpoint, ILogger logger)
    {
        _stream = new NetworkStream(socket, ownsSocket: true);
        Endpoint = endpoint;
        _logger = logger;
        _ = Task.Run(ReadLoopAsync);
    }

    /// <summary><c>host:port</c> of the server.</summary>
    public string Endpoint { get; }

    /// <summary>True once the connection has failed or been disposed; it then takes no calls.</summary>
    public bool IsClosed => Volatile.Read(ref _closed) != 0;

    /// <summary>Number of calls waiting for a response (for tests and diagnostics).</summary>
    public int PendingCount => _pending.Count;

    /// <summary>Opens a connection; throws <see cref="TarsConnectException"/> when the server cannot be reached in time.</summary>
    public static async Task<TarsConnection> ConnectAsync(string host, int port, TarsClientOptions options, ILogger logger,
        CancellationToken cancellationToken)
    {
        var socket = await Gatehouse.Rpc.RpcSocket.ConnectAsync("tars", host, port, options.ConnectTimeout,
            static (message, inner) => new TarsConnectException(message, inner), cancellationToken);

        return new TarsConnection(socket, $"{host}:{port}", logger);
    }

    /// <summary>Sends one call and waits for its response.</summary>
    /// <exception cref="TarsTimeoutException">No response within <paramref name="timeout"/>.</exception>
    /// <exception cref="TarsConnectionLostException">The connection closed before the response.</exception>
    /// <exception cref="TarsReturnCodeException">The return code was not 0.</exception>
    public async Task<TarsResponse> InvokeAsync(TarsInvocation invocation, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var id = NextRequestId();
        var completion = new TaskCompletionSource<TarsResponse>(TaskCreationOptions.RunContinuationsAsynchronously);
        _pending[id] = completion;
        try
        {
            var packet = new ArrayBufferWriter<byte>(256 + invocation.Buffer.Length);
            TarsCodec.WriteRequest(id, invocation, timeout == Timeout.InfiniteTimeSpan ? 0 : (int)timeout.TotalMilliseconds, packet);
            await WriteAsync(packet.WrittenMemory, cancellationToken);
            if (IsClosed)
            {
                // Closed between registering and writing: the read loop's sweep may have run before the registration.
                throw new TarsConnectionLostException($"connection to {Endpoint} closed");
            }

            TarsResponse response;
            try
            {
                response = await completion.Task.WaitAsync(timeout, cancellationToken);
            }
            catch (TimeoutException)
            {
                throw new TarsTimeoutException(
                    $"no response from tars://{Endpoint} to {invocation.Servant}.{invocation.Function} within {timeout.TotalMilliseconds:0} ms");
            }

            return response.ReturnCode == TarsReturnCodes.Success
                ? response
                : throw new TarsReturnCodeException(response.ReturnCode, response.ResultDesc);
        }
        finally
        {
            _pending.TryRemove(id, out _);
        }
    }

    /// <summary>The next request id: positive, wrapping after int.MaxValue (ids of calls in flight cannot collide in practice).</summary>
    private static int NextRequestId()
    {
        var id = Interlocked.Increment(ref s_nextRequestId) & int.MaxValue;
        return id == 0 ? Interlocked.Increment(ref s_nextRequestId) & int.MaxValue : id;
    }

    private async ValueTask WriteAsync(ReadOnlyMemory<byte> packet, CancellationToken cancellationToken)
    {
        if (IsClosed)
        {
            throw new TarsConnectionLostException($"connection to {Endpoint} closed");
        }

        await _writeLock.WaitAsync(cancellationToken);
        try
        {
            await _stream.WriteAsync(packet, _closing.Token);
        }
        catch (Exception e) when (e is IOException or SocketException or ObjectDisposedException or OperationCanceledException)
        {
            // The write is not cancellable by the caller (a cut packet would corrupt the stream): this is the
            // connection failing or closing.
            Close(e);
            throw new TarsConnectionLostException($"writing to {Endpoint} failed: {e.Message}", e);
        }
        finally
        {
            _writeLock.Release();
        }
    }

    private async Task ReadLoopAsync()
    {
        var header = new byte[TarsCodec.LengthPrefix];
        try
        {
            while (true)
            {
                await _stream.ReadExactlyAsync(header, _closing.Token);
                var length = TarsCodec.ReadLength(header);
                var packet = new byte[length - TarsCodec.LengthPrefix];
                await _stream.ReadExactlyAsync(packet, _closing.Token);
                var response = TarsCodec.ReadResponse(packet);
                if (_pending.TryRemove(response.RequestId, out var completion))
                {
                    completion.TrySetResult(response);
                }
            }
        }
        catch (Exception e)
        {
            Close(e);
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

        _closing.Cancel();
        _stream.Dispose();
        foreach (var pending in _pending)
        {
            pending.Value.TrySetException(new TarsConnectionLostException($"connection to {Endpoint} closed: {reason.Message}", reason));
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
        [LoggerMessage(EventId = 5101, Level = LogLevel.Information, Message = "Tars connection to {Endpoint} closed: {Reason}")]
        public static partial void ConnectionClosed(ILogger logger, string endpoint, string reason);
    }
}
