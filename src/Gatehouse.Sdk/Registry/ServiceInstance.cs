namespace Gatehouse.Sdk.Registry;

/// <summary>What a node announces: where it is, how it wants to be routed, and the APIs it serves.</summary>
public sealed record ServiceInstance
{
    public required string Group { get; init; }

    public required string Service { get; init; }

    public required string Host { get; init; }

    public required int Port { get; init; }

    /// <summary><c>http</c> or <c>https</c>.</summary>
    public string Scheme { get; init; } = "http";

    public int Weight { get; init; } = 100;

    public string? Loc { get; init; }

    public IReadOnlyList<string> Gray { get; init; } = [];

    public string? Version { get; init; }

    public IReadOnlyDictionary<string, string> Metadata { get; init; } = new Dictionary<string, string>();

    public string? HealthPath { get; init; }

    public IReadOnlyList<ServiceApi> Apis { get; init; } = [];

    /// <summary>The node's id in Gatehouse: <c>host:port</c> (IPv6 in brackets).</summary>
    public string NodeId => $"{(Host.Contains(':') ? $"[{Host}]" : Host)}:{Port}";
}

/// <summary>One API of the service in the gateway's path syntax (<c>/orders/{id}</c>, <c>/files/**</c>).</summary>
/// <param name="Methods">HTTP methods, upper case; empty means any method.</param>
/// <param name="Path">Gateway path pattern.</param>
/// <param name="MatchKind"><c>exact</c>, <c>template</c> or <c>wildcard</c>.</param>
public sealed record ServiceApi(IReadOnlyList<string> Methods, string Path, string MatchKind);
