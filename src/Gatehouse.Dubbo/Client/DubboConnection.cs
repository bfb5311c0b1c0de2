using System.Buffers;
using System.Net.Sockets;
using System.Runtime.CompilerServices;
using Gatehouse.Dubbo.Protocol;
using Gatehouse.Rpc;
using Microsoft.Extensions.Logging;

namespace Gatehouse.Dubbo.Client;

/// <summary>
/// One long-lived TCP connection to one provider, multiplexing calls by request id (the connection layer): Dubbo's
/// framing, heartbeats and exceptions over <see cref="MultiplexedConnection{TRequestId, TCall, TFrame, TResult}"/>.
/// </summary>
/// <remarks>
/// Provider heartbeats are answered; when nothing was read for <see cref="DubboClientOptions.HeartbeatInterval"/> the
/// connection sends one, and after three silent intervals it closes. Once closed every pending call fails with
/// <see cref="DubboConnectionLostException"/> and <see cref="DubboInvoker"/> opens a new connection.
/// </remarks>
internal sealed partial class DubboConnection : MultiplexedConnection<long, DubboInvocation, (DubboHeader Header, byte[] Body), DubboResponse>
{
    private static long s_nextRequestId;
    private readonly byte[] _header = new byte[DubboHeader.Length];
    private readonly DubboClientOptions _options;
    private readonly ILogger _logger;
    private readonly Timer _heartbeat;
    private long _lastReadTicks = Environment.TickCount64;

    private DubboConnection(Socket socket, string endpoint, DubboClientOptions options, ILogger logger)
        : base(new NetworkStream(socket, ownsSocket: true), endpoint)
    {
        _options = options;
        _logger = logger;
        _heartbeat = new Timer(static state => ((DubboConnection)state!).OnHeartbeatTimer(), this,
            options.HeartbeatInterval, options.HeartbeatInterval);
        // Started last: a read loop that fails at once closes the connection, which disposes the timer.
        StartReading();
    }

    /// <summary>Opens a connection; throws <see cref="DubboConnectException"/> when the provider cannot be reached in time.</summary>
    public static async Task<DubboConnection> ConnectAsync(string host, int port, DubboClientOptions options, ILogger logger,
        CancellationToken cancellationToken)
    {
        var socket = await RpcSocket.ConnectAsync("dubbo", host, port, options.ConnectTimeout,
            static (message, inner) => new DubboConnectException(message, inner), cancellationToken);

        return new DubboConnection(socket, $"{host}:{port}", options, logger);
    }

    /// <summary>Sends one call and waits for its response.</summary>
    /// <exception cref="DubboTimeoutException">No response within <paramref name="timeout"/>.</exception>
    /// <exception cref="DubboConnectionLostException">The connection closed before the response.</exception>
    /// <exception cref="DubboStatusException">The response status was not 20.</exception>
    public Task<DubboResponse> InvokeAsync(DubboInvocation invocation, TimeSpan timeout, CancellationToken cancellationToken)
        => SendAsync(invocation, timeout, cancellationToken);

    /// <inheritdoc/>
    protected override DubboResponse ReadResult((DubboHeader Header, byte[] Body) response)
    {
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

    /// <inheritdoc/>
    protected override long NextRequestId() => Interlocked.Increment(ref s_nextRequestId);

    /// <inheritdoc/>
    protected override ReadOnlyMemory<byte> EncodeCall(long requestId, DubboInvocation call, TimeSpan timeout)
    {
        var frame = new ArrayBufferWriter<byte>(512);
        DubboCodec.WriteRequest(requestId, call, timeout == Timeout.InfiniteTimeSpan ? 0 : (int)timeout.TotalMilliseconds, frame);
        return frame.WrittenMemory;
    }

    /// <inheritdoc/>
    /// <remarks>A pooled builder: a frame that waits for the network costs no state-machine allocation.</remarks>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    protected override async ValueTask<RpcFrame<long, (DubboHeader Header, byte[] Body)>> ReadFrameAsync(Stream stream,
        CancellationToken cancellationToken)
    {
        await stream.ReadExactlyAsync(_header, cancellationToken);
        var parsed = DubboHeader.Read(_header);
        var body = parsed.BodyLength == 0 ? [] : new byte[parsed.BodyLength];
        if (body.Length > 0)
        {
            await stream.ReadExactlyAsync(body, cancellationToken);
        }

        Volatile.Write(ref _lastReadTicks, Environment.TickCount64);
        if (!parsed.IsRequest)
        {
            return RpcFrame<long, (DubboHeader, byte[])>.Response(parsed.RequestId, (parsed, body));
        }

        if (parsed.IsEvent && parsed.IsTwoWay)
        {
            // The provider's heartbeat: answered with the same id, status 20, body null.
            var reply = new byte[DubboCodec.HeartbeatLength];
            DubboCodec.WriteHeartbeat(parsed.RequestId, reply: true, reply);
            await WriteFrameAsync(reply, CancellationToken.None);
        }

        return RpcFrame<long, (DubboHeader, byte[])>.None;
    }

    /// <inheritdoc/>
    protected override Exception ConnectionLost(string message, Exception? inner) => new DubboConnectionLostException(message, inner);

    /// <inheritdoc/>
    protected override Exception CallTimedOut(DubboInvocation call, TimeSpan timeout) => new DubboTimeoutException(
        $"no response from dubbo://{Endpoint} to {call.Service}.{call.Method} within {timeout.TotalMilliseconds:0} ms");

    /// <inheritdoc/>
    protected override void OnClosed(Exception? failure)
    {
        if (failure is not null)
        {
            Log.ConnectionClosed(_logger, Endpoint, failure.Message);
        }

        _heartbeat.Dispose();
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
            await WriteFrameAsync(frame, CancellationToken.None);
        }
        catch (DubboConnectionLostException)
        {
            // Close has run; the next call reconnects.
        }
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 5001, Level = LogLevel.Information, Message = "Dubbo connection to {Endpoint} closed: {Reason}")]
        public static partial void ConnectionClosed(ILogger logger, string endpoint, string reason);
    }
}
