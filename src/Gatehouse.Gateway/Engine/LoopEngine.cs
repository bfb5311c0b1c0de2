using System.Net;
using Microsoft.AspNetCore.Connections;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Gatehouse.Gateway.Engine;

/// <summary>Installs the event-loop engine as a Kestrel transport for chosen endpoints.</summary>
public static class LoopEngine
{
    /// <summary>True where the engine can run (Linux on x86-64).</summary>
    public static bool IsSupported => LinuxNative.IsSupported;

    /// <summary>
    /// Registers the engine for the endpoints <paramref name="select"/> accepts; Kestrel's socket transport keeps the
    /// rest. Call after <c>UseKestrel</c>: Kestrel asks the last registered transport first. Returns false (and
    /// registers nothing) where the engine cannot run.
    /// </summary>
    public static bool TryUse(IServiceCollection services, LoopEngineOptions options, Func<EndPoint, bool> select)
    {
        ArgumentNullException.ThrowIfNull(services);
        if (!IsSupported)
        {
            return false;
        }

        services.AddSingleton(sp => new LoopTransportFactory(select, options, sp.GetRequiredService<ILoggerFactory>(),
            sp.GetService<IMemoryPoolFactory<byte>>()));
        services.AddSingleton<IConnectionListenerFactory>(sp => sp.GetRequiredService<LoopTransportFactory>());
        if (options.Upstream)
        {
            services.AddSingleton<Upstream.LoopUpstream>();
        }

        return true;
    }

    /// <summary>Connections the engine accepted in this host, or -1 when it is not installed.</summary>
    public static long AcceptedConnections(IServiceProvider services) =>
        services.GetService<LoopTransportFactory>()?.AcceptedConnections ?? -1;

    /// <summary>Node connections the loops opened in this host, or -1 when the loops do not carry node connections.</summary>
    public static long UpstreamConnections(IServiceProvider services) =>
        services.GetService<Upstream.LoopUpstream>()?.Counters.Opened ?? -1;

    /// <summary>Connections the engine holds open in this host, or -1 when it is not installed.</summary>
    public static long OpenConnections(IServiceProvider services) =>
        services.GetService<LoopTransportFactory>()?.OpenConnections ?? -1;
}
