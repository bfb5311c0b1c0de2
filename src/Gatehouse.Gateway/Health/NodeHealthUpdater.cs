using Gatehouse.Gateway.Model;

namespace Gatehouse.Gateway.Health;

/// <summary>
/// The hook health checking reports through: it records a node's health and, when it changed, rebuilds the
/// routed node sets of that node's service in the snapshot in force. Routing itself never checks health per
/// request (see <see cref="Routing.HealthRouter"/>).
/// </summary>
public sealed class NodeHealthUpdater
{
    private readonly SnapshotState _state;
    private readonly NodeStateRegistry _nodeStates;

    public NodeHealthUpdater(SnapshotState state, NodeStateRegistry nodeStates)
    {
        _state = state;
        _nodeStates = nodeStates;
    }

    /// <summary>Records the health of a node; returns true when it changed (and routes were rebuilt).</summary>
    public bool SetHealthy(string service, string nodeId, bool healthy) =>
        SetHealthy(_state, _nodeStates.GetOrAdd(service, nodeId), service, healthy);

    /// <summary>Records the health of a node whose state is at hand; returns true when it changed.</summary>
    internal static bool SetHealthy(SnapshotState state, NodeState node, string service, bool healthy)
    {
        if (!node.SetHealthy(healthy))
        {
            return false;
        }

        // A snapshot compiled concurrently reads NodeState while it builds, so it sees this change or
        // rebuilds on the next one; the current snapshot is rebuilt here.
        RebuildRoutes(state, service);
        return true;
    }

    /// <summary>Rebuilds the routes of a service in the snapshot in force (health or slow-start weights changed).</summary>
    internal static void RebuildRoutes(SnapshotState state, string service)
    {
        if (state.Current is { } snapshot && snapshot.Services.TryGetValue(service, out var model))
        {
            model.RebuildRoutes();
        }
    }
}
