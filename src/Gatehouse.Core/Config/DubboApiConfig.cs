namespace Gatehouse.Core.Config;

/// <summary>What an API's requests are converted to: plain HTTP forwarding (the default), a Dubbo call, a Tars call or a gRPC call (HTTP/JSON transcoding).</summary>
public enum ApiProtocol
{
    Http,
    Dubbo,
    Tars,
    GrpcTranscoding,
}

/// <summary>
/// The Dubbo method an API with <c>protocol: dubbo</c> calls (<c>services[].apis[].dubbo</c>), and how the HTTP request
/// becomes its arguments.
/// </summary>
/// <remarks>
/// Arguments: a JSON array body is positional (one element per parameter); a JSON object body with
/// <see cref="ParameterNames"/> gives each parameter the field of its name, and without names, for a method of one
/// parameter, is that parameter whole. A parameter whose name is not in the body takes the path value of that name
/// (an <c>{name}</c> segment of a template path) or else the query value; missing altogether it is null.
/// </remarks>
public sealed record DubboApiConfig
{
    /// <summary>The Java interface, e.g. <c>com.example.OrderService</c> (also the service path).</summary>
    public string Interface { get; init; } = "";

    /// <summary>The method name.</summary>
    public string Method { get; init; } = "";

    /// <summary>The service version; null for none.</summary>
    public string? Version { get; init; }

    /// <summary>The service group; null for none.</summary>
    public string? Group { get; init; }

    /// <summary>Java parameter types in order: <c>java.lang.String</c>, <c>int</c>, <c>long[]</c>, <c>com.example.Order</c>.</summary>
    public IReadOnlyList<string> ParameterTypes { get; init; } = [];

    /// <summary>Names of the parameters, in the same order, for JSON object bodies and path/query values; null: positional only.</summary>
    public IReadOnlyList<string>? ParameterNames { get; init; }

    /// <summary>Request headers sent along as Dubbo attachments (names are lower-cased); the trace context always is.</summary>
    public IReadOnlyList<string>? AttachHeaders { get; init; }
}
