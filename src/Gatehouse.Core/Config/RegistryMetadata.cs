namespace Gatehouse.Core.Config;

/// <summary>
/// Node metadata the admin's registry writes, and the gateway reads, to say what the registry knows about a node
/// beyond its config: today only that its lease expired (missed heartbeats past the TTL).
/// </summary>
/// <remarks>
/// It is metadata rather than a new <see cref="NodeConfig"/> field so that the operator's traffic switch
/// (<see cref="NodeConfig.Online"/>) stays the operator's alone: the registry never flips it, so an operator's
/// <c>online=false</c> survives heartbeats, expiry and re-registration.
/// </remarks>
public static class RegistryMetadata
{
    /// <summary>Metadata key holding the registry's view of the node; absent means nothing to report (live).</summary>
    public const string StateKey = "gatehouse.registry.state";

    /// <summary>Value of <see cref="StateKey"/> for a node whose lease expired: the gateway gives it no traffic.</summary>
    public const string Expired = "expired";

    /// <summary>Metadata key with the version string the node's service reported when it registered.</summary>
    public const string VersionKey = "gatehouse.registry.version";

    /// <summary>True when the registry marked the node's lease expired.</summary>
    public static bool IsExpired(NodeConfig node)
    {
        ArgumentNullException.ThrowIfNull(node);
        return node.Metadata is not null && node.Metadata.TryGetValue(StateKey, out var state) && state == Expired;
    }
}
