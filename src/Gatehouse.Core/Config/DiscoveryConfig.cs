namespace Gatehouse.Core.Config;

/// <summary>
/// Where a service's nodes are discovered besides its static <see cref="ServiceConfig.Nodes"/>
/// (<c>services[].discovery</c>). The admin acts on it; gateways only carry it along.
/// </summary>
public sealed record DiscoveryConfig
{
    /// <summary>Dubbo providers registered in ZooKeeper in Dubbo's own layout become the service's <c>source: dubbo</c> nodes.</summary>
    public DubboDiscoveryConfig? Dubbo { get; init; }
}

/// <summary>
/// Which Dubbo providers a service's nodes mirror: those of <see cref="Interface"/> under
/// <c>/dubbo/{interface}/providers</c> whose version and group match as a Dubbo consumer's would.
/// </summary>
/// <remarks>
/// Matching (as Dubbo's <c>UrlUtils.isMatch</c>): <see cref="Version"/> <c>*</c> matches any provider, otherwise the
/// provider's version must be equal (none, empty and <c>0.0.0</c> all mean "no version", as on Dubbo's wire);
/// <see cref="Group"/> <c>*</c> matches any, a comma list matches providers of any group in it, otherwise the
/// provider's group must be equal (none and empty alike).
/// </remarks>
public sealed record DubboDiscoveryConfig
{
    /// <summary>The Java interface the providers export, e.g. <c>com.example.OrderService</c>.</summary>
    public string Interface { get; init; } = "";

    /// <summary>The service version to match; null: providers without a version; <c>*</c>: any.</summary>
    public string? Version { get; init; }

    /// <summary>The service group to match; null: providers without a group; <c>*</c>: any; <c>a,b</c>: either.</summary>
    public string? Group { get; init; }
}
