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
        services.TryAddSingleton<NodeHealthStore>();
        services.TryAddSingleton<PluginProblemStore>();
        services.AddOptions<AlertOptions>().BindConfiguration(AlertOptions.Section).ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<Microsoft.Extensions.Options.IValidateOptions<AlertOptions>, AlertOptionsValidator>());
        services.TryAddSingleton<AlertConditions>();
        services.TryAddSingleton<WebhookNotifier>();
        services.TryAddSingleton<AlertEvaluator>();
        services.AddHostedService(sp => sp.GetRequiredService<AlertEvaluator>());
        return services;
    }
}

/// <summary>Maps the statistics and alerting endpoints.</summary>
internal static class MonitoringEndpoints
{
    public static void Map(RouteGroupBuilder api)
    {
        StatsEndpoints.Map(api);
        AlertEndpoints.Map(api);
    }
}
