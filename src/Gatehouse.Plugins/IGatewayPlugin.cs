namespace Gatehouse.Plugins;

/// <summary>
/// A filter of the gateway's pipeline, created by an <see cref="IGatewayPluginFactory"/> when a config snapshot is
/// compiled and shared by every request of the APIs whose policy names it. Implementations must be thread-safe and
/// should keep per-request work small: the instance and anything derived from its settings are built once, in
/// <see cref="IGatewayPluginFactory.Create"/>.
/// </summary>
/// <remarks>
/// <para>Filters of an API run in the order of its <c>policy.filters</c> list on the way in (those of
/// <see cref="PluginStage.AfterAccessControl"/> after the gateway's authentication and rate limits, the others before); the response phase runs
/// in the reverse order, just before the response headers are sent, whoever produced the response (a node, a filter
/// that answered, or a gateway error).</para>
/// <para>A filter that declares <see cref="PluginPhases.ResponseBody"/> sees the node's whole response body
/// (<see cref="OnResponseBodyAsync"/>) and may replace it: for an API with such a filter the gateway collects the body
/// (up to <see cref="MaxResponseBodyBytes"/>) instead of streaming it; one that declares
/// <see cref="PluginPhases.RequestBody"/> finds the request body in <see cref="PluginContext.RequestBody"/>. Every other
/// API keeps streaming both ways.</para>
/// <para>The gateway's own mechanisms (IP lists, body limit, authentication, rate limits, payload encryption) are
/// filters of the same chain, at fixed places (<see cref="GatewayFilterNames"/>).</para>
/// </remarks>
public interface IGatewayPlugin
{
    /// <summary>The phases this filter takes part in; the gateway skips the others at no cost.</summary>
    PluginPhases Phases { get; }

    /// <summary>
    /// Request phase, before the request is forwarded. Return null to let the request continue (the filter may have
    /// changed request headers), or a <see cref="PluginResponse"/> to answer the request at the gateway: no node is
    /// called and later filters do not run.
    /// </summary>
    /// <remarks>Return a completed <see cref="ValueTask{TResult}"/> when no I/O is needed; an exception answers 500 <c>plugin_failed</c>.</remarks>
    ValueTask<PluginResponse?> OnRequestAsync(PluginContext context);

    /// <summary>
    /// Response phase: status and headers may be read and changed (<c>context.Http.Response</c>); the body has not
    /// been sent yet but is not available. Must not block. An exception is logged and counted, and the response goes
    /// out without this filter's changes (its status and body are already decided).
    /// </summary>
    void OnResponse(PluginContext context);

    /// <summary>Where the filter runs relative to the gateway's authentication and rate limits (default: before them).</summary>
    PluginStage Stage => PluginStage.BeforeAccessControl;

    /// <summary>
    /// Body phase, for a filter that declares <see cref="PluginPhases.ResponseBody"/>: called once the node's whole
    /// response has been collected, before anything is sent to the client, in the reverse order of the request phase.
    /// Status and headers may be changed too; <paramref name="body"/> holds the body and replaces it.
    /// </summary>
    /// <remarks>
    /// Not called when the request ended before forwarding (a filter answered, or a gateway error), nor for gateway
    /// error responses, which go out as they are. An exception answers 500 <c>plugin_failed</c> (nothing has been sent
    /// yet).
    /// </remarks>
    ValueTask OnResponseBodyAsync(PluginContext context, PluginResponseBody body) => ValueTask.CompletedTask;

    /// <summary>
    /// The most response body bytes a <see cref="PluginPhases.ResponseBody"/> filter lets the gateway collect (default
    /// 1 MiB); a node's body over it is answered 502 <c>response_too_large</c>. The smallest of an API's filters applies.
    /// </summary>
    int MaxResponseBodyBytes => 1024 * 1024;

    /// <summary>
    /// The most request body bytes a <see cref="PluginPhases.RequestBody"/> filter lets the gateway read (default 1 MiB);
    /// a longer body is answered 413 <c>payload_too_large</c> and never forwarded. The smallest of an API's filters applies.
    /// </summary>
    int MaxRequestBodyBytes => 1024 * 1024;
}

/// <summary>Which phases a filter takes part in.</summary>
[Flags]
public enum PluginPhases
{
    /// <summary>No phase (a filter that only validates, say); it costs nothing per request.</summary>
    None = 0,

    /// <summary><see cref="IGatewayPlugin.OnRequestAsync"/> is called.</summary>
    Request = 1,

    /// <summary><see cref="IGatewayPlugin.OnResponse"/> is called.</summary>
    Response = 2,

    /// <summary>
    /// <see cref="IGatewayPlugin.OnResponseBodyAsync"/> is called: the gateway collects the node's response body for the
    /// filter instead of streaming it (bounded by <see cref="IGatewayPlugin.MaxResponseBodyBytes"/>).
    /// </summary>
    ResponseBody = 4,

    /// <summary>
    /// The gateway reads the whole request body before this filter's request phase (bounded by
    /// <see cref="IGatewayPlugin.MaxRequestBodyBytes"/>) into <see cref="PluginContext.RequestBody"/>; the node still
    /// receives it. Reading happens at the filter's place in the chain, so callers refused earlier cost no read.
    /// </summary>
    RequestBody = 8,
}
