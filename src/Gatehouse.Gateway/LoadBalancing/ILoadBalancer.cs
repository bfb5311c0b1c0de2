using Gatehouse.Gateway.Model;
using Microsoft.AspNetCore.Http;

namespace Gatehouse.Gateway.LoadBalancing;

/// <summary>
/// Picks one node from a fixed candidate list. An instance is built off the request path for one routed node
/// set (see <see cref="ILoadBalancerFactory"/>) and may keep state for it (round-robin position, hash ring).
/// Must be thread-safe without locks.
/// </summary>
public interface ILoadBalancer
{
    /// <summary>Returns a node other than <paramref name="exclude"/> where possible; null when none is left.</summary>
    NodeModel? Pick(HttpContext context, NodeModel? exclude);
}

/// <summary>Builds balancers of one kind. Names are the <see cref="Core.Config.LoadBalancerKind"/> values.</summary>
public interface ILoadBalancerFactory
{
    Core.Config.LoadBalancerKind Kind { get; }

    /// <param name="config">The effective balancer config.</param>
    /// <param name="nodes">Candidates after routing; never empty.</param>
    ILoadBalancer Create(Core.Config.LoadBalancerConfig config, NodeModel[] nodes);
}
