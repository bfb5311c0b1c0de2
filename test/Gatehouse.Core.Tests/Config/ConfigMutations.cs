using Gatehouse.Core.Config;

namespace Gatehouse.Core.Tests.Config;

/// <summary>Copy-with-one-change helpers for building invalid variants of <see cref="ConfigFixtures.Valid"/>.</summary>
internal static class ConfigMutations
{
    public static GatewayConfig Service(this GatewayConfig c, int index, Func<ServiceConfig, ServiceConfig> change) =>
        c with { Services = Replace(c.Services, index, change) };

    public static GatewayConfig Node(this GatewayConfig c, int service, int node, Func<NodeConfig, NodeConfig> change) =>
        c.Service(service, s => s with { Nodes = Replace(s.Nodes, node, change) });

    public static GatewayConfig Api(this GatewayConfig c, int service, int api, Func<ApiConfig, ApiConfig> change) =>
        c.Service(service, s => s with { Apis = Replace(s.Apis, api, change) });

    public static GatewayConfig Mapping(this GatewayConfig c, int index, Func<OriginMappingConfig, OriginMappingConfig> change) =>
        c with { OriginMappings = Replace(c.OriginMappings, index, change) };

    public static GatewayConfig Set(this GatewayConfig c, int index, Func<ServiceSetConfig, ServiceSetConfig> change) =>
        c with { ServiceSets = Replace(c.ServiceSets, index, change) };

    public static GatewayConfig GlobalLoadBalancer(this GatewayConfig c, LoadBalancerConfig loadBalancer) =>
        c with { Global = (c.Global ?? new PolicyConfig()) with { LoadBalancer = loadBalancer } };

    public static GatewayConfig UsersLoadBalancer(this GatewayConfig c, Func<LoadBalancerConfig, LoadBalancerConfig> change) =>
        c.Service(1, s => s with { Policy = s.Policy! with { LoadBalancer = change(s.Policy.LoadBalancer!) } });

    public static IReadOnlyList<T> Replace<T>(IReadOnlyList<T> list, int index, Func<T, T> change) =>
        list.Select((item, i) => i == index ? change(item) : item).ToList();
}
