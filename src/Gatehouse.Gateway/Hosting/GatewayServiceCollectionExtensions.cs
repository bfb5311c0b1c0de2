using System.Diagnostics.Metrics;
using Gatehouse.Gateway.Compilation;
using Gatehouse.Gateway.ConfigSync;
using Gatehouse.Gateway.Filters.RateLimiting;
using Gatehouse.Gateway.Filters.RateLimiting.Distributed;
using Gatehouse.Gateway.Forwarding;
using Gatehouse.Gateway.Hosting.Tls;
using Gatehouse.Gateway.Http;
using Gatehouse.Gateway.LoadBalancing;
using Gatehouse.Gateway.Model;
using Gatehouse.Gateway.Observability;
using Gatehouse.Gateway.Observability.AccessLog;
using Gatehouse.Gateway.Pipeline;
using Gatehouse.Gateway.Resolution;
using Gatehouse.Gateway.Routing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Gatehouse.Gateway.Hosting;

/// <summary>Registers the gateway's services. Uses TryAdd so a host can replace any seam before calling it.</summary>
public static class GatewayServiceCollectionExtensions
{
    public static IServiceCollection AddGatehouseGateway(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<GatewayOptions>()
            .Bind(configuration.GetSection(GatewayOptions.Section))
            .PostConfigure(o =>
            {
                o.ControlSecret = configuration[GatewayOptions.ControlSecretKey];
                o.PreviousControlSecrets = ReadList(configuration, GatewayOptions.PreviousControlSecretsKey);
            });
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton(sp => new ClientErrorLog(
            sp.GetRequiredService<ILoggerFactory>().CreateLogger(ClientErrorLog.Category),
            sp.GetRequiredService<TimeProvider>(), ReadClientErrorInterval(configuration)));
        services.TryAddSingleton<SnapshotState>();
        services.TryAddSingleton<NodeStateRegistry>();
        services.TryAddSingleton(sp => RedisRateLimitBackend.Create(
            sp.GetRequiredService<IOptions<GatewayOptions>>(), sp.GetRequiredService<ILogger<RedisRateLimitBackend>>()));
        services.TryAddSingleton(sp => new RateLimiterRegistry(
            sp.GetRequiredService<TimeProvider>(), sp.GetRequiredService<RedisRateLimitBackend>()));
        services.TryAddSingleton<Resilience.ResilienceRegistry>();
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
            sp.GetRequiredService<RateLimiterRegistry>(),
            sp.GetRequiredService<Resilience.ResilienceRegistry>(),
            sp.GetRequiredService<GatewayMetrics>(),
            sp.GetRequiredService<Filters.Auth.AuthRegistry>(),
            sp.GetRequiredService<Filters.Plugins.PluginCompiler>()));
        // The built-in plugin filters plus every IGatewayPluginFactory the host registers; validation and compilation share it.
        services.TryAddSingleton(sp => Gatehouse.Plugins.PluginCatalog.NewBuiltIn().With(sp.GetServices<Gatehouse.Plugins.IGatewayPluginFactory>()));
        // The catalog in force: that base plus the folders loaded from the plugins directory (GatewayOptions.PluginsPath).
        services.TryAddSingleton(sp => new Filters.Plugins.Loading.PluginRegistry(
            sp.GetRequiredService<Gatehouse.Plugins.PluginCatalog>(), sp.GetRequiredService<TimeProvider>(),
            sp.GetRequiredService<ILogger<Filters.Plugins.Loading.PluginRegistry>>()));
        services.TryAddSingleton<Filters.Plugins.Loading.PluginsEndpoint>();
        services.TryAddSingleton(sp =>
        {
            var registry = sp.GetRequiredService<Filters.Plugins.Loading.PluginRegistry>();
            var compiler = new Filters.Plugins.PluginCompiler(() => registry.Catalog, sp.GetRequiredService<GatewayMetrics>(),
                sp.GetRequiredService<ILogger<Filters.FilterChain>>());
            compiler.CreateFailed += registry.CreateFailed;
            return compiler;
        });
        services.TryAddSingleton(sp => Filters.Auth.NonceStoreFactory.Create(
            sp.GetRequiredService<IOptions<GatewayOptions>>().Value, sp.GetRequiredService<RedisRateLimitBackend>(),
            sp.GetRequiredService<TimeProvider>(), sp.GetRequiredService<ILoggerFactory>().CreateLogger("Gatehouse.Gateway.Auth")));
        services.TryAddSingleton(sp => new Filters.Auth.AuthRegistry(
            sp.GetRequiredService<Filters.Auth.INonceStore>(), sp.GetRequiredService<TimeProvider>(), sp.GetService<Microsoft.Extensions.Logging.ILoggerFactory>(),
            transport: Core.Security.AppSecretTransport.For(sp.GetRequiredService<IOptions<GatewayOptions>>().Value.ControlSecret,
                sp.GetRequiredService<IOptions<GatewayOptions>>().Value.PreviousControlSecrets)));
        services.TryAddSingleton(sp => new GatewayMetrics(
            sp.GetRequiredService<IOptions<GatewayOptions>>().Value.Group,
            sp.GetRequiredService<SnapshotState>(),
            sp.GetService<IMeterFactory>()));
        services.AddGatehouseAccessLog(configuration);
        services.TryAddSingleton<RequestObserver>();
        services.TryAddSingleton<MetricsEndpoint>();
        services.AddGatehouseTelemetryExport(configuration);
        services.TryAddSingleton<ConfigApplier>();
        services.TryAddSingleton<Health.NodeHealthUpdater>();
        services.TryAddSingleton<Explain.DebugTokenCheck>();
        services.TryAddSingleton<GatewayRequestHandler>();
        services.TryAddSingleton(sp => new TrustedProxies(sp.GetRequiredService<IOptions<GatewayOptions>>().Value.TrustedProxies));
        services.TryAddSingleton<RequestGuard>();
        services.TryAddSingleton<ConfigPullSignal>();
        services.TryAddSingleton<ConfigPushEndpoint>();
        services.TryAddSingleton<Explain.RouteExplainer>();
        services.TryAddSingleton<Explain.ExplainEndpoint>();
        services.TryAddSingleton<ControlEndpoints>();
        services.AddGatehouseServerTls();
        services.TryAddSingleton<GatewayDrain>();
        services.AddHostedService(sp => sp.GetRequiredService<GatewayDrain>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<GatewayOptions>, GatewayDrainOptionsValidator>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<GatewayOptions>, H2cPortValidator>());

        // The host's timeout counts from the stop signal, so it must cover the drain delay and the in-flight bound.
        services.AddOptions<Microsoft.Extensions.Hosting.HostOptions>().Configure<IOptions<GatewayOptions>>((host, gateway) =>
            host.ShutdownTimeout = Max(gateway.Value.DrainDelay, TimeSpan.Zero) + Max(gateway.Value.ShutdownTimeout, TimeSpan.Zero));
        services.AddHostedService<RateLimitSweeper>();
        services.AddHostedService<Health.HealthCheckService>();

        // Before the config source: the first config is compiled with the plugins already in the directory.
        services.AddHostedService<Filters.Plugins.Loading.PluginDirectoryWatcher>();

        // One config source per node: the admin when AdminUrl is set (ConfigPath is then ignored, with a warning),
        // else the declarative file.
        if (string.IsNullOrWhiteSpace(configuration[$"{GatewayOptions.Section}:{nameof(GatewayOptions.AdminUrl)}"]))
        {
            services.AddHostedService<FileConfigWatcher>();
        }
        else
        {
            services.TryAddSingleton<AdminConfigClient>();
            services.TryAddSingleton<PluginDistribution>();
            services.AddHostedService<AdminConfigSync>();
        }
        return services;
    }

    /// <summary>The client error interval; a value that is not a positive TimeSpan stops the node at start.</summary>
    internal static TimeSpan ReadClientErrorInterval(IConfiguration configuration)
    {
        var text = configuration[ClientErrorLog.IntervalKey];
        if (string.IsNullOrWhiteSpace(text))
        {
            return ClientErrorLog.DefaultInterval;
        }

        return TimeSpan.TryParse(text, System.Globalization.CultureInfo.InvariantCulture, out var interval)
            && interval > TimeSpan.Zero && interval <= TimeSpan.FromHours(1)
            ? interval
            : throw new OptionsValidationException(ClientErrorLog.IntervalKey, typeof(TimeSpan),
                [$"{ClientErrorLog.IntervalKey} must be a time span from 00:00:00.001 to 01:00:00, not '{text}'."]);
    }

    private static TimeSpan Max(TimeSpan a, TimeSpan b) => a > b ? a : b;

    /// <summary>
    /// A list setting: the values of <paramref name="key"/>'s children (<c>Key:0</c>, <c>Key:1</c>, ... as JSON arrays,
    /// indexed environment variables and command lines give them), or its own value when it is a single string.
    /// </summary>
    internal static string[] ReadList(IConfiguration configuration, string key)
    {
        var section = configuration.GetSection(key);
        if (!string.IsNullOrEmpty(section.Value))
        {
            return [section.Value];
        }

        var values = new List<string>();
        foreach (var child in section.GetChildren())
        {
            if (!string.IsNullOrEmpty(child.Value))
            {
                values.Add(child.Value);
            }
        }

        return [.. values];
    }
}
