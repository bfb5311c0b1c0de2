namespace Gatehouse.Sdk.Registry;

/// <summary>What a heartbeat found.</summary>
public enum HeartbeatStatus
{
    /// <summary>The lease was renewed.</summary>
    Renewed,

    /// <summary>The registry has no live lease for the node (expired, removed, or the registry lost it): register again.</summary>
    NotRegistered,
}

/// <summary>
/// The SDK's seam to a registry: the embedded HTTP registry of the admin (<see cref="HttpRegistryClient"/>) or ZooKeeper.
/// Every call throws when the registry cannot be reached; the lifecycle retries with backoff.
/// </summary>
/// <remarks>
/// <see cref="ZooKeeperRegistryClient"/> maps register to creating the ephemeral znode
/// <c>/gatehouse/{group}/services/{service}/nodes/{host:port}</c> with the instance as JSON, heartbeat to checking the
/// session's znode (<see cref="HeartbeatStatus.NotRegistered"/> when it is gone, so the node re-creates it), and
/// deregister to deleting the znode.
/// </remarks>
public interface IRegistryClient
{
    /// <summary>Registers (or re-registers) the node; idempotent.</summary>
    Task RegisterAsync(ServiceInstance instance, CancellationToken cancellationToken);

    /// <summary>Renews the node's lease.</summary>
    Task<HeartbeatStatus> HeartbeatAsync(ServiceInstance instance, CancellationToken cancellationToken);

    /// <summary>Removes the node; the registry stops routing to it. Idempotent.</summary>
    Task DeregisterAsync(ServiceInstance instance, CancellationToken cancellationToken);
}

/// <summary>
/// Creates the <see cref="IRegistryClient"/> for one registry kind (<see cref="GatehouseOptions.Registry"/>). The SDK
/// registers the <c>http</c> provider; another kind plugs in by registering its provider in DI.
/// </summary>
public interface IRegistryClientProvider
{
    /// <summary>The <see cref="GatehouseOptions.Registry"/> value this provider serves, e.g. <c>http</c>.</summary>
    string Kind { get; }

    IRegistryClient Create(GatehouseOptions options);
}
