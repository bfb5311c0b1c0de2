namespace Gatehouse.Rpc;

/// <summary>
/// One frame read by a <see cref="MultiplexedConnection{TRequestId, TCall, TFrame, TResult}"/>: the response to a call, or a
/// frame the protocol handled itself (a heartbeat, an event), which completes no call.
/// </summary>
/// <typeparam name="TRequestId">The protocol's request id.</typeparam>
/// <typeparam name="TResponse">The response as the connection hands it to its caller.</typeparam>
public readonly record struct RpcFrame<TRequestId, TResponse>
{
    /// <summary>A frame that answers no call.</summary>
    public static RpcFrame<TRequestId, TResponse> None => default;

    /// <summary>The response to the call <paramref name="requestId"/>.</summary>
    public static RpcFrame<TRequestId, TResponse> Response(TRequestId requestId, TResponse response)
        => new() { IsResponse = true, RequestId = requestId, Value = response };

    /// <summary>True when the frame answers a call (<see cref="RequestId"/>, <see cref="Value"/>).</summary>
    public bool IsResponse { get; private init; }

    /// <summary>The id of the call answered.</summary>
    public TRequestId RequestId { get; private init; }

    /// <summary>The response.</summary>
    public TResponse Value { get; private init; }
}
