using Gatehouse.Core.Config;
using Gatehouse.Dubbo.Json;

namespace Gatehouse.Gateway.Forwarding.Dubbo;

/// <summary>The compiled <c>dubbo</c> block of an API: the method to call and how its arguments are bound.</summary>
internal sealed class DubboApiModel
{
    private DubboApiModel(DubboApiConfig config, string path, MatchKind kind)
    {
        Interface = config.Interface;
        Method = config.Method;
        Version = config.Version;
        Group = config.Group;
        ParameterTypes = [.. config.ParameterTypes];
        ParameterNames = config.ParameterNames is { } names ? [.. names] : null;
        Descriptor = JavaTypes.Descriptor(ParameterTypes);
        AttachHeaders = Rpc.RpcRequestValues.LowerCase(config.AttachHeaders);

        // Template segments {name} by position, so path values can be bound by name without the matcher's help.
        PathSegments = ParameterNames is null ? null : Rpc.RpcRequestValues.PathSegments(path, kind);
    }

    public string Interface { get; }

    public string Method { get; }

    public string? Version { get; }

    public string? Group { get; }

    public string[] ParameterTypes { get; }

    public string[]? ParameterNames { get; }

    /// <summary>The JVM parameter descriptor sent in the request, e.g. <c>Ljava/lang/String;I</c>.</summary>
    public string Descriptor { get; }

    /// <summary>Lower-cased names of the request headers sent as attachments.</summary>
    public string[] AttachHeaders { get; }

    /// <summary>Template variables and the index of their path segment; null when the path has none.</summary>
    public List<(string Name, int Segment)>? PathSegments { get; }

    public static DubboApiModel? For(ApiConfig api, MatchKind kind)
        => api.Protocol == ApiProtocol.Dubbo && api.Dubbo is { } dubbo ? new DubboApiModel(dubbo, api.Path, kind) : null;
}
