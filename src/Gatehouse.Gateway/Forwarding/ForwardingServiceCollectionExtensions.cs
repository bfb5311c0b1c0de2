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
        // One invoker per gateway: it keeps one multiplexed connection per Dubbo provider, shared by every API.
        services.TryAddSingleton<Gatehouse.Dubbo.Client.DubboClientOptions>();
        services.TryAddSingleton<Gatehouse.Dubbo.Client.IDubboInvoker>(sp => new Gatehouse.Dubbo.Client.DubboInvoker(
            sp.GetRequiredService<Gatehouse.Dubbo.Client.DubboClientOptions>(),
            sp.GetRequiredService<Microsoft.Extensions.Logging.ILogger<Gatehouse.Dubbo.Client.DubboInvoker>>()));
        services.TryAddSingleton<Dubbo.DubboForwarder>();
        // Likewise one multiplexed connection per Tars server.
        services.TryAddSingleton<Gatehouse.Tars.Client.TarsClientOptions>();
        services.TryAddSingleton<Gatehouse.Tars.Client.ITarsInvoker>(sp => new Gatehouse.Tars.Client.TarsInvoker(
            sp.GetRequiredService<Gatehouse.Tars.Client.TarsClientOptions>(),
            sp.GetRequiredService<Microsoft.Extensions.Logging.ILogger<Gatehouse.Tars.Client.TarsInvoker>>()));
        services.TryAddSingleton<Tars.TarsForwarder>();
        services.TryAddSingleton<Grpc.Transcoding.TranscodingForwarder>();
        return services;
    }
}
