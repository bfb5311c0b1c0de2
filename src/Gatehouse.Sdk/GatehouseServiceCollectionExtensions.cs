using Gatehouse.Sdk.Lifecycle;
using Gatehouse.Sdk.Registry;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace Gatehouse.Sdk;

/// <summary>Joins an ASP.NET Core service to Gatehouse.</summary>
public static class GatehouseServiceCollectionExtensions
{
    // Room beyond the drain for deregistering and for Kestrel to close its connections.
    private static readonly TimeSpan _shutdownSlack = TimeSpan.FromSeconds(10);

    /// <summary>
    /// Registers the node with the Gatehouse registry once the server listens, reports the app's endpoints as its APIs,
    /// heartbeats, and on shutdown deregisters first and drains in-flight requests before the server stops.
    /// </summary>
    /// <param name="services">The app's services.</param>
    /// <param name="configure">Applied after the <c>Gatehouse</c> configuration section.</param>
    public static IServiceCollection AddGatehouse(this IServiceCollection services, Action<GatehouseOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        var options = services.AddOptions<GatehouseOptions>().BindConfiguration(GatehouseOptions.Section).ValidateOnStart();
        if (configure is not null)
        {
            options.Configure(configure);
        }

        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<GatehouseOptions>, GatehouseOptionsValidator>());
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<InFlightRequests>();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IStartupFilter, InFlightStartupFilter>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IRegistryClientProvider, HttpRegistryClientProvider>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IRegistryClientProvider, ZooKeeperRegistryClientProvider>());
        services.TryAddSingleton<GatehouseLifecycle>();
        services.AddHostedService(provider => provider.GetRequiredService<GatehouseLifecycle>());

        // The host must wait long enough for the drain, or it would stop the server under in-flight requests.
        services.AddOptions<HostOptions>().Configure<IOptions<GatehouseOptions>>((host, gatehouse) =>
        {
            var needed = gatehouse.Value.PropagationDelay + gatehouse.Value.DrainPeriod + _shutdownSlack;
            if (host.ShutdownTimeout < needed)
            {
                host.ShutdownTimeout = needed;
            }
        });
        return services;
    }
}

/// <summary>Checks <see cref="GatehouseOptions"/> at start (source-generated from its attributes).</summary>
[OptionsValidator]
internal sealed partial class GatehouseOptionsValidator : IValidateOptions<GatehouseOptions>
{
}
