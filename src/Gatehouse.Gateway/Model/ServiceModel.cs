using Gatehouse.Gateway.Matching;
using Gatehouse.Gateway.Routing;

namespace Gatehouse.Gateway.Model;

/// <summary>Immutable runtime form of a service within one snapshot.</summary>
public sealed class ServiceModel
{
    internal ServiceModel(string name, NodeModel[] nodes, ApiModel[] apis, IApiMatcher matcher, ServiceLane[] lanes)
    {
        Name = name;
        Nodes = nodes;
        Apis = apis;
        Matcher = matcher;
        Lanes = lanes;
    }

    private readonly Lock _rebuildLock = new();

    public string Name { get; }

    public NodeModel[] Nodes { get; }

    public ApiModel[] Apis { get; }

    public IApiMatcher Matcher { get; }

    /// <summary>Routing + balancing per distinct (balancer, switches) combination of this service's APIs.</summary>
    internal ServiceLane[] Lanes { get; }

    /// <summary>Recomputes routed node sets after a node's health changed.</summary>
    public void RebuildRoutes()
    {
        // Serialized so that two concurrent rebuilds (an ejection on a request thread, the health loop) cannot
        // publish in the wrong order: the one that runs last reads the latest node state.
        lock (_rebuildLock)
        {
            RebuildLanes();
        }
    }

    private void RebuildLanes()
    {
        foreach (var lane in Lanes)
        {
            lane.Rebuild();
        }
    }

    public override string ToString() => Name;
}
