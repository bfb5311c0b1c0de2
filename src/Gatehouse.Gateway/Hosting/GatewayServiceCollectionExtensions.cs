using Gatehouse.Gateway.ConfigSync;
using Gatehouse.Gateway.Filters.RateLimiting;
using Gatehouse.Gateway.Forwarding;
using Gatehouse.Gateway.LoadBalancing;
using Gatehouse.Gateway.Model;
using Gatehouse.Gateway.Resolution;
using Gatehouse.Gateway.Routing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace Gatehouse.Gateway.Hosting;

/// <summary>Registers the gateway's services. Uses TryAdd so a host can replace any seam before calling it.</summary>
public static class GatewayServiceCollectionExtensions
{
    public static IServiceCollection AddGatehouseGateway(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<GatewayOptions>().Bind(configuration.GetSection(GatewayOptions.Section));
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<SnapshotState>();
        services.TryAddSingleton<NodeStateRegistry>();
        services.TryAddSingleton<RateLimiterRegistry>();
        services.TryAddSingleton(RouterPipeline.Default);
        services.TryAddSingleton<ILoadBalancerProvider>(_ => LoadBalancerRegistry.CreateDefault());
        services.AddGatehouseForwarding();
        services.TryAddSingleton(sp => ServiceResolverChain.CreateDefault(sp.GetRequiredService<IOptions<GatewayOptions>>().Value.Headers));
        services.TryAddSingleton(sp => new SnapshotCompiler(
            sp.GetRequiredService<IOptions<GatewayOptions>>().Value,
            sp.GetRequiredService<RouterPipeline>(),
            sp.GetRequiredService<ILoadBalancerProvider>(),
            sp.GetRequiredService<UpstreamClientFactory>(),
            sp.GetRequiredService<NodeStateRegistry>(),
            sp.GetRequiredService<TimeProvider>(),
            sp.GetRequiredService<RateLimiterRegistry>()));
        services.TryAddSingleton<ConfigApplier>();
        services.TryAddSingleton<Health.NodeHealthUpdater>();
        services.TryAddSingleton<GatewayRequestHandler>();
        services.TryAddSingleton<ControlEndpoints>();
        services.AddHostedService<FileConfigWatcher>();
        services.AddHostedService<RateLimitSweeper>();
        return services;
    }
}
