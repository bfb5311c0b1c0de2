using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Gatehouse.Gateway.Forwarding;

/// <summary>Registers the forwarding services. TryAdd, so a host can replace any of them first.</summary>
internal static class ForwardingServiceCollectionExtensions
{
    /// <summary>Adds <see cref="HttpForwarder"/> and <see cref="UpstreamClientFactory"/> as singletons.</summary>
    public static IServiceCollection AddGatehouseForwarding(this IServiceCollection services)
    {
        ArgumentNullException.ThrowIfNull(services);
        services.AddLogging();
        services.TryAddSingleton<HttpForwarder>();
        services.TryAddSingleton<UpstreamClientFactory>();
        return services;
    }
}
