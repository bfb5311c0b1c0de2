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
/// <para>Body access is not part of this version of the contract: the response phase sees status and headers only.</para>
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
}
