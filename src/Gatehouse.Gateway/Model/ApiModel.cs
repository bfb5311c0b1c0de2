using Gatehouse.Core.Config;

namespace Gatehouse.Gateway.Model;

/// <summary>Immutable runtime form of an API: its match rule, its methods and its merged policy.</summary>
public sealed class ApiModel
{
    public ApiModel(string serviceName, string id, string path, MatchKind kind, string[]? methods, EffectivePolicy policy)
    {
        ServiceName = serviceName;
        Id = id;
        Path = path;
        Kind = kind;
        Methods = methods;
        Policy = policy;
        Metrics = new Observability.ApiMetrics(serviceName.ToLowerInvariant(), id);
    }

    public string ServiceName { get; }

    public string Id { get; }

    /// <summary>The path pattern as configured (for a regex, the pattern).</summary>
    public string Path { get; }

    /// <summary>Resolved kind; never <see cref="MatchKind.Auto"/>.</summary>
    public MatchKind Kind { get; }

    /// <summary>Upper-case methods, or null for any method.</summary>
    public string[]? Methods { get; }

    public EffectivePolicy Policy { get; }

    /// <summary>Index of this API's lane (routing + balancer) within its service; set by the compiler before publishing.</summary>
    internal int LaneIndex { get; set; }

    /// <summary>Upstream client for this API's transport settings; set by the compiler before publishing.</summary>
    internal HttpMessageInvoker Invoker { get; set; } = null!;

    /// <summary>
    /// The API's one filter chain: built-in mechanisms and plugins, in order; empty for most APIs, which then skip it.
    /// Set by the compiler before publishing.
    /// </summary>
    internal Gatehouse.Gateway.Filters.FilterChain Filters { get; set; } = Gatehouse.Gateway.Filters.FilterChain.Empty;

    /// <summary>The Dubbo method called instead of forwarding over HTTP (<c>protocol: dubbo</c>); null for HTTP APIs.</summary>
    internal Forwarding.Dubbo.DubboApiModel? Dubbo { get; set; }

    /// <summary>The Tars function called instead of forwarding over HTTP (<c>protocol: tars</c>); null for other APIs.</summary>
    internal Forwarding.Tars.TarsApiModel? Tars { get; set; }
    /// <summary>The gRPC methods HTTP/JSON requests are transcoded to (<c>protocol: grpcTranscoding</c>); null otherwise.</summary>
    internal Grpc.Transcoding.TranscodingApiModel? Transcoding { get; set; }

    /// <summary>Per-exchange timeouts handed to the forwarder; set by the compiler before publishing.</summary>
    internal Forwarding.ForwardOptions ForwardOptions { get; set; }

    /// <summary>Breakers, retry rules and budget, whole-request timeout; set by the compiler before publishing.</summary>
    internal Resilience.ApiResilience Resilience { get; set; } = Gateway.Resilience.ApiResilience.None;

    /// <summary>
    /// Metric cells of this API, shared with every snapshot that has the same (service, id); set by the compiler
    /// from <see cref="Observability.GatewayMetrics"/>, so requests record without a lookup.
    /// </summary>
    internal Observability.ApiMetrics Metrics { get; set; }

    public bool AllowsMethod(string method)
    {
        var methods = Methods;
        if (methods is null)
        {
            return true;
        }

        // Plain loop: a handful of entries, and Kestrel hands us interned method strings.
        for (var i = 0; i < methods.Length; i++)
        {
            if (ReferenceEquals(methods[i], method) || string.Equals(methods[i], method, StringComparison.OrdinalIgnoreCase))
            {
                return true;
            }
        }

        return false;
    }

    public override string ToString() => $"{ServiceName}/{Id}";
}
