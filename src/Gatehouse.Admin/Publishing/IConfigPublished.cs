using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Gatehouse.Admin.Publishing;

/// <summary>Told by <see cref="ConfigWriter"/> about every committed version; must return at once and never throw.</summary>
internal interface IConfigPublished
{
    /// <summary><paramref name="group"/> now has <paramref name="version"/> (already committed).</summary>
    void Published(string group, long version);
}

/// <summary>Registers the push of new versions to the live gateway nodes of their group.</summary>
internal static class GatewayNotifierServiceCollectionExtensions
{
    /// <summary>
    /// Adds <see cref="GatewayNotifier"/> as the <see cref="IConfigPublished"/> and as a hosted service, and the
    /// <see cref="GatewayControlClient"/> for calls that wait for a gateway's answer; also the in-memory halves of the sync
    /// endpoints: the <see cref="SnapshotDocumentCache"/> pulls are served from and the <see cref="GatewayHeartbeatWriter"/>.
    /// </summary>
    public static IServiceCollection AddGatewayNotifier(this IServiceCollection services)
    {
        services.AddSingleton<SnapshotDocumentCache>();
        services.AddSingleton<GatewayHeartbeatWriter>();
        services.AddSingleton<GatewayNotifier>();
        services.AddSingleton<IConfigPublished>(sp => sp.GetRequiredService<GatewayNotifier>());
        services.AddSingleton<IHostedService>(sp => sp.GetRequiredService<GatewayNotifier>());
        services.AddSingleton<GatewayControlClient>();
        return services;
    }
}
