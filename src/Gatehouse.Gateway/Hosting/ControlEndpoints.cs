using System.Text.Json;
using Gatehouse.Gateway.ConfigSync;
using Gatehouse.Gateway.Model;
using Gatehouse.Gateway.Observability;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Options;

namespace Gatehouse.Gateway.Hosting;

/// <summary>
/// The control port: liveness (<c>/healthz</c>), readiness (<c>/readyz</c>, ready once a config is loaded and until the
/// node starts draining) and
/// the version of the config in force (<c>/control/config/version</c>), the effective policy of an API
/// (<c>/control/policy</c>, <see cref="PolicyView"/>), the plugins loaded from the plugins directory (<c>/control/plugins</c>),
/// Prometheus metrics (<c>/metrics</c>), and the admin's signed
/// config push (<c>POST /control/config</c>, handled by <see cref="ConfigPushEndpoint"/>) and route explanations
/// (<c>POST /control/explain</c>, <see cref="Explain.ExplainEndpoint"/>). Reads are unauthenticated, like
/// <c>/control/config/version</c>: the control port belongs on an operator network. The two POSTs are signed with the
/// control secret: one changes what the node does, the other lays out its whole routing (nodes, addresses, policies).
/// </summary>
internal sealed class ControlEndpoints
{
    private readonly SnapshotState _state;
    private readonly GatewayOptions _options;
    private readonly ConfigPushEndpoint _push;
    private readonly MetricsEndpoint _metrics;
    private readonly GatewayDrain _drain;
    private readonly Explain.ExplainEndpoint _explain;
    private readonly Filters.Plugins.Loading.PluginsEndpoint _plugins;

    public ControlEndpoints(SnapshotState state, IOptions<GatewayOptions> options, ConfigPushEndpoint push, MetricsEndpoint metrics,
        GatewayDrain drain, Explain.ExplainEndpoint explain, Filters.Plugins.Loading.PluginsEndpoint plugins)
    {
        _plugins = plugins;
        _drain = drain;
        _explain = explain;
        _metrics = metrics;
        _state = state;
        _options = options.Value;
        _push = push;
    }

    public Task InvokeAsync(HttpContext context)
    {
        var path = context.Request.Path.Value;
        var isRead = HttpMethods.IsGet(context.Request.Method) || HttpMethods.IsHead(context.Request.Method);
        return path switch
        {
            "/healthz" when isRead => WriteJsonAsync(context, 200, new { status = "ok" }),
            "/readyz" when isRead => WriteReadinessAsync(context),
            "/control/config/version" when isRead => WriteVersionAsync(context),
            "/control/policy" when isRead => PolicyView.WriteAsync(context, _state.Current),
            "/metrics" when isRead => _metrics.InvokeAsync(context),
            "/control/plugins" when isRead => _plugins.InvokeAsync(context),
            "/control/config" when HttpMethods.IsPost(context.Request.Method) => _push.InvokeAsync(context),
            "/control/explain" when HttpMethods.IsPost(context.Request.Method) => _explain.InvokeAsync(context),
            "/healthz" or "/readyz" or "/control/config/version" or "/control/config" or "/control/policy" or "/metrics" or "/control/explain"
                or "/control/plugins" => WriteJsonAsync(context, 405, new { status = 405, code = "method_not_allowed" }),
            _ => WriteJsonAsync(context, 404, new { status = 404, code = "not_found", detail = $"No control endpoint at '{path}'." }),
        };
    }

    /// <summary>
    /// Ready once a config is loaded, until a stop signal: while the node drains it still serves traffic, but a
    /// balancer must send new requests elsewhere (<see cref="GatewayDrain"/>).
    /// </summary>
    private Task WriteReadinessAsync(HttpContext context)
    {
        if (_drain.Draining)
        {
            GatewayDrain.CloseAfterResponse(context);
            return WriteJsonAsync(context, 503, new { status = "draining", reason = "the node is stopping" });
        }

        return _state.Current is null
            ? WriteJsonAsync(context, 503, new { status = "not_ready", reason = "no config loaded" })
            : WriteJsonAsync(context, 200, new { status = "ready", version = _state.Current.Version });
    }

    private Task WriteVersionAsync(HttpContext context)
    {
        var snapshot = _state.Current;
        return WriteJsonAsync(context, 200, new
        {
            nodeId = _options.NodeId,
            group = _options.Group,
            loc = _options.Loc,
            version = snapshot?.Version,
            checksum = snapshot?.Checksum,
            source = snapshot?.Source,
            appliedAt = snapshot?.AppliedAt,
            services = snapshot?.Services.Count ?? 0,
        });
    }

    /// <summary>Writes RFC 9457 problem JSON in the shape <see cref="ProblemWriter"/> uses, for control-port errors.</summary>
    internal static Task WriteProblemAsync(HttpContext context, int status, string code, string title, string detail) =>
        WriteJsonAsync(context, status, new
        {
            type = "urn:gatehouse:problem:" + code,
            title,
            status,
            code,
            detail,
            instance = context.Request.Path.Value,
        });

    /// <summary>Writes <paramref name="body"/> as JSON; errors other than 503 (readiness) as problem JSON.</summary>
    internal static Task WriteJsonAsync<T>(HttpContext context, int status, T body, JsonSerializerOptions? options = null)
    {
        context.Response.StatusCode = status;
        context.Response.ContentType = status >= 400 && status != 503 ? "application/problem+json" : "application/json";
        context.Response.Headers.CacheControl = "no-store";
        return context.Response.WriteAsync(JsonSerializer.Serialize(body, options ?? ControlJson.Options));
    }
}

internal static class ControlJson
{
    public static readonly JsonSerializerOptions Options = new(JsonSerializerDefaults.Web);

    /// <summary>Leaves out null members, as the admin API does, so the two effective-policy views have one shape.</summary>
    public static readonly JsonSerializerOptions OmitNulls = new(JsonSerializerDefaults.Web)
    {
        DefaultIgnoreCondition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull,
    };
}
