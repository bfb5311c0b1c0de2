namespace Gatehouse.ZooKeeper;

/// <summary>
/// Where Gatehouse keeps its registry in ZooKeeper, shared by the SDK (which writes) and the admin (which mirrors):
/// <c>/gatehouse/{group}/services/{service}/nodes/{host:port}</c>, an ephemeral znode whose data is the node as JSON.
/// </summary>
public static class RegistryLayout
{
    /// <summary>The root of every group.</summary>
    public const string Root = "/gatehouse";

    /// <summary><c>/gatehouse/{group}/services</c>: one child per service.</summary>
    public static string Services(string group) => $"{Root}/{group}/services";

    /// <summary><c>/gatehouse/{group}/services/{service}/nodes</c>: one ephemeral child per live node.</summary>
    public static string Nodes(string group, string service) => $"{Services(group)}/{service}/nodes";

    /// <summary><c>/gatehouse/{group}/services/{service}/nodes/{nodeId}</c>, the node id being <c>host:port</c>.</summary>
    public static string Node(string group, string service, string nodeId) => $"{Nodes(group, service)}/{nodeId}";

    /// <summary>
    /// The ZooKeeper connect string in a registry address: <c>host:port[,host:port][/chroot]</c>, optionally written as
    /// <c>zookeeper://host:port</c>.
    /// </summary>
    public static string ConnectString(string address)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(address);
        const string scheme = "zookeeper://";
        return address.StartsWith(scheme, StringComparison.OrdinalIgnoreCase) ? address[scheme.Length..] : address;
    }
}
