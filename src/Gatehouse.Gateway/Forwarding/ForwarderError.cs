namespace Gatehouse.Gateway.Forwarding;

/// <summary>
/// What went wrong while forwarding one request to one node. The forwarder never writes an error body; the
/// caller maps these values to problem responses (docs/architecture.md, the error codes) when the response has not started. When the
/// response had already started, the forwarder has aborted the client connection itself.
/// </summary>
/// <remarks>
/// Mapping used by the request pipeline (response not started):
/// <list type="table">
/// <item><term><see cref="ConnectFailed"/>, <see cref="UpstreamFailed"/>, <see cref="RequestBodyUpstream"/>,
/// <see cref="ResponseBodyUpstream"/>, <see cref="UpgradeFailed"/></term><description>502 upstream_unreachable</description></item>
/// <item><term><see cref="ConnectTimeout"/>, <see cref="ResponseHeadersTimeout"/>, <see cref="IdleTimeout"/></term>
/// <description>504 upstream_timeout</description></item>
/// <item><term><see cref="RequestBodyMalformed"/>, <see cref="RequestNotSupported"/></term><description>400 bad_request</description></item>
/// <item><term><see cref="RequestBodyTooLarge"/></term><description>413 payload_too_large</description></item>
/// <item><term><see cref="RequestBodyTimeout"/></term><description>408 request_timeout</description></item>
/// <item><term><see cref="ResponseBodyTooLarge"/></term><description>502 response_too_large</description></item>
/// <item><term><see cref="RequestCanceled"/>, <see cref="RequestBodyClient"/>, <see cref="ResponseBodyClient"/></term>
/// <description>nothing: the client is gone, and the forwarder has already aborted the connection</description></item>
/// </list>
/// </remarks>
internal enum ForwarderError
{
    /// <summary>The exchange completed; the upstream response (whatever its status) was relayed in full.</summary>
    None,

    /// <summary>
    /// The connection to the node could not be established (refused, unreachable, name resolution or TLS
    /// handshake failure) and nothing of the request was sent. The only value after which a retry on another
    /// node is always safe, whatever the method.
    /// </summary>
    ConnectFailed,

    /// <summary>
    /// Establishing the connection took longer than <see cref="UpstreamTransportSettings.ConnectTimeout"/>.
    /// Nothing of the request was sent either.
    /// </summary>
    ConnectTimeout,

    /// <summary>The node accepted the request but sent no response headers within the response-headers timeout.</summary>
    ResponseHeadersTimeout,

    /// <summary>
    /// The node failed after the connection was made and before the response headers (reset, closed, protocol
    /// error, invalid response). Part of the request may have reached it: not safe to retry non-idempotent requests.
    /// </summary>
    UpstreamFailed,

    /// <summary>
    /// Reading the request body from the client failed: the client disconnected, reset the stream, cut the body
    /// short, or stopped sending for longer than the running timeout (response-headers timeout before the
    /// response, idle timeout after). The forwarder has aborted the client connection.
    /// </summary>
    RequestBodyClient,

    /// <summary>The client sent a body Kestrel rejected as malformed (bad chunked framing, short Content-Length).</summary>
    RequestBodyMalformed,

    /// <summary>The request body exceeded the server's request body size limit (413 from Kestrel).</summary>
    RequestBodyTooLarge,

    /// <summary>
    /// The client sent the request body more slowly than the minimum data rate (Kestrel's MinRequestBodyDataRate, a
    /// 408 from Kestrel): a stalled or dribbling upload. The client is still connected and can be told.
    /// </summary>
    RequestBodyTimeout,

    /// <summary>Writing the request body to the node failed (the node closed or reset the connection mid-upload).</summary>
    RequestBodyUpstream,

    /// <summary>
    /// The node failed while sending the response body. If the response had started, the client connection was
    /// aborted so the client cannot mistake the truncated body for a complete one.
    /// </summary>
    ResponseBodyUpstream,

    /// <summary>Writing the response body to the client failed (client gone).</summary>
    ResponseBodyClient,

    /// <summary>
    /// After the response headers arrived, no byte moved in either direction (response body, a request body still
    /// streaming, an upgraded tunnel) for <see cref="ForwardOptions.IdleTimeout"/>. Aborted if the response had
    /// started (the usual case: headers are sent as soon as the body stalls).
    /// </summary>
    IdleTimeout,

    /// <summary>
    /// An upgrade (WebSocket) could not be completed or one side of the upgraded tunnel failed. If the client side
    /// had been upgraded already, its connection was aborted.
    /// </summary>
    UpgradeFailed,

    /// <summary>The client aborted (HttpContext.RequestAborted) before the response headers arrived.</summary>
    RequestCanceled,

    /// <summary>
    /// The request cannot be forwarded as received (CONNECT, including HTTP/2 extended CONNECT). Nothing was sent.
    /// </summary>
    RequestNotSupported,

    /// <summary>
    /// The whole-request timeout (<c>timeouts.requestMs</c>) expired. Before the response started the caller
    /// answers 504; after, the forwarder has aborted the client connection.
    /// </summary>
    RequestTimeout,

    /// <summary>
    /// The node answered with a status in <see cref="ForwardOptions.DiscardStatuses"/> and no request body had
    /// been sent: the response was dropped unrelayed (<see cref="ForwardResult.DiscardedStatus"/>) so the caller
    /// can retry on another node. Only asked for when a retry is certain to follow.
    /// </summary>
    RetryableStatus,

    /// <summary>
    /// The response body was larger than the buffer it was being collected in (an API whose responses are encrypted,
    /// <c>encryption.maxBodyBytes</c>). Nothing was sent to the client; the caller answers 502 <c>response_too_large</c>.
    /// </summary>
    ResponseBodyTooLarge,
}

/// <summary>
/// Thrown by a response body writer that buffers up to a limit when the limit is passed; the forwarder reports it as
/// <see cref="ForwarderError.ResponseBodyTooLarge"/> instead of blaming the client.
/// </summary>
internal sealed class ResponseBodyLimitException(long limit)
    : IOException($"The response body is larger than the {limit} bytes that may be buffered.")
{
    public long Limit { get; } = limit;
}

/// <summary>Per-request timeouts of one forwarded exchange, taken from the effective policy.</summary>
/// <param name="ResponseHeadersTimeout">
/// Longest wait for the response headers, counted from the send and restarted by every request body read or
/// write (so a long upload is not mistaken for a slow node). Zero or <see cref="Timeout.InfiniteTimeSpan"/>
/// disables it.
/// </param>
/// <param name="IdleTimeout">
/// Longest time without progress once the response headers arrived (response body, late request body, upgraded
/// tunnel). Zero or <see cref="Timeout.InfiniteTimeSpan"/> disables it.
/// </param>
internal readonly record struct ForwardOptions(TimeSpan ResponseHeadersTimeout, TimeSpan IdleTimeout)
{
    /// <summary>Statuses to drop instead of relaying (see <see cref="ForwarderError.RetryableStatus"/>); empty by default.</summary>
    public Model.StatusCodeSet DiscardStatuses { get; init; }
}

/// <summary>Outcome of <see cref="HttpForwarder.ForwardAsync"/>.</summary>
/// <param name="Error"><see cref="ForwarderError.None"/> on success.</param>
/// <param name="Exception">The exception behind <paramref name="Error"/>, for logging; null on success.</param>
/// <param name="RequestBodyStarted">
/// True once the request body began streaming to the node: from then on the client body has been consumed and
/// the request cannot be replayed to another node.
/// </param>
/// <param name="DiscardedStatus">The dropped status for <see cref="ForwarderError.RetryableStatus"/>; 0 otherwise.</param>
internal readonly record struct ForwardResult(ForwarderError Error, Exception? Exception, bool RequestBodyStarted, int DiscardedStatus = 0);
