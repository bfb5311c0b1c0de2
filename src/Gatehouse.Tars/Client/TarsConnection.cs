using System.Buffers;
using System.Net.Sockets;
using System.Runtime.CompilerServices;
using Gatehouse.Rpc;
using Gatehouse.Tars.Protocol;
using Microsoft.Extensions.Logging;

namespace Gatehouse.Tars.Client;

/// <summary>
/// One long-lived TCP connection to one Tars server, multiplexing calls by request id (the connection layer): Tars's
/// length-prefixed packets and exceptions over <see cref="MultiplexedConnection{TRequestId, TCall, TFrame, TResult}"/>.
/// </summary>
/// <remarks>
/// Tars has no protocol heartbeat, so an idle connection is simply kept until the server closes it. Once closed every
/// pending call fails with <see cref="TarsConnectionLostException"/> and <see cref="TarsInvoker"/> opens a new one.
/// </remarks>
internal sealed partial class TarsConnection : MultiplexedConnection<int, TarsInvocation, TarsResponse, TarsResponse>
{
    private static int s_nextRequestId;
    private readonly byte[] _lengthPrefix = new byte[TarsCodec.LengthPrefix];
    private readonly ILogger _logger;

    private TarsConnection(Socket socket, string endpoint, ILogger logger)
        : base(new NetworkStream(socket, ownsSocket: true), endpoint)
    {
        _logger = logger;
        StartReading();
    }

    /// <summary>Opens a connection; throws <see cref="TarsConnectException"/> when the server cannot be reached in time.</summary>
    public static async Task<TarsConnection> ConnectAsync(string host, int port, TarsClientOptions options, ILogger logger,
        CancellationToken cancellationToken)
    {
        var socket = await RpcSocket.ConnectAsync("tars", host, port, options.ConnectTimeout,
            static (message, inner) => new TarsConnectException(message, inner), cancellationToken);

        return new TarsConnection(socket, $"{host}:{port}", logger);
    }

    /// <summary>Sends one call and waits for its response.</summary>
    /// <exception cref="TarsTimeoutException">No response within <paramref name="timeout"/>.</exception>
    /// <exception cref="TarsConnectionLostException">The connection closed before the response.</exception>
    /// <exception cref="TarsReturnCodeException">The return code was not 0.</exception>
    public Task<TarsResponse> InvokeAsync(TarsInvocation invocation, TimeSpan timeout, CancellationToken cancellationToken)
        => SendAsync(invocation, timeout, cancellationToken);

    /// <inheritdoc/>
    protected override TarsResponse ReadResult(TarsResponse frame) => frame.ReturnCode == TarsReturnCodes.Success
        ? frame
        : throw new TarsReturnCodeException(frame.ReturnCode, frame.ResultDesc);

    /// <summary>The next request id: positive, wrapping after int.MaxValue (ids of calls in flight cannot collide in practice).</summary>
    protected override int NextRequestId()
    {
        var id = Interlocked.Increment(ref s_nextRequestId) & int.MaxValue;
        return id == 0 ? Interlocked.Increment(ref s_nextRequestId) & int.MaxValue : id;
    }

    /// <inheritdoc/>
    protected override ReadOnlyMemory<byte> EncodeCall(int requestId, TarsInvocation call, TimeSpan timeout)
    {
        var packet = new ArrayBufferWriter<byte>(256 + call.Buffer.Length);
        TarsCodec.WriteRequest(requestId, call, timeout == Timeout.InfiniteTimeSpan ? 0 : (int)timeout.TotalMilliseconds, packet);
        return packet.WrittenMemory;
    }

    /// <inheritdoc/>
    /// <remarks>A pooled builder: a packet that waits for the network costs no state-machine allocation.</remarks>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    protected override async ValueTask<RpcFrame<int, TarsResponse>> ReadFrameAsync(Stream stream, CancellationToken cancellationToken)
    {
        await stream.ReadExactlyAsync(_lengthPrefix, cancellationToken);
        var length = TarsCodec.ReadLength(_lengthPrefix);
        var packet = new byte[length - TarsCodec.LengthPrefix];
        await stream.ReadExactlyAsync(packet, cancellationToken);
        var response = TarsCodec.ReadResponse(packet);
        return RpcFrame<int, TarsResponse>.Response(response.RequestId, response);
    }

    /// <inheritdoc/>
    protected override Exception ConnectionLost(string message, Exception? inner) => new TarsConnectionLostException(message, inner);

    /// <inheritdoc/>
    protected override Exception CallTimedOut(TarsInvocation call, TimeSpan timeout) => new TarsTimeoutException(
        $"no response from tars://{Endpoint} to {call.Servant}.{call.Function} within {timeout.TotalMilliseconds:0} ms");

    /// <inheritdoc/>
    protected override void OnClosed(Exception? failure)
    {
        if (failure is not null)
        {
            Log.ConnectionClosed(_logger, Endpoint, failure.Message);
        }
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 5101, Level = LogLevel.Information, Message = "Tars connection to {Endpoint} closed: {Reason}")]
        public static partial void ConnectionClosed(ILogger logger, string endpoint, string reason);
    }
}
