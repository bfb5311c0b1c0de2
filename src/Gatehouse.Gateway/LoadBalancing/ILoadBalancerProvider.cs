using Gatehouse.Core.Config;
using Gatehouse.Gateway.Model;

namespace Gatehouse.Gateway.LoadBalancing;

/// <summary>Creates the balancer for a routed node set from its effective config (the seam the compiler uses).</summary>
public interface ILoadBalancerProvider
{
    ILoadBalancer Create(LoadBalancerConfig config, NodeModel[] nodes);
}
