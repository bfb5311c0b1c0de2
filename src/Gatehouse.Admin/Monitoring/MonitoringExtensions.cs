using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Gatehouse.Admin.Monitoring;

/// <summary>Registers statistics and alerting (one extension per area, <c>TryAdd*</c> so hosts and tests can override).</summary>
internal static class MonitoringExtensions
{
    public static IServiceCollection AddMonitoring(this IServiceCollection services)
    {
        services.TryAddSingleton<StatsStore>();
        return services;
    }
}

/// <summary>Maps the statistics and alerting endpoints.</summary>
internal static class MonitoringEndpoints
{
    public static void Map(RouteGroupBuilder api)
    {
        StatsEndpoints.Map(api);
    }
}
