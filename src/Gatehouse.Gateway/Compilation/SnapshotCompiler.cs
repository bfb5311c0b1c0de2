using System.Collections.Frozen;
using Gatehouse.Core.Config;
using Gatehouse.Gateway.Filters;
using Gatehouse.Gateway.Filters.Auth;
using Gatehouse.Gateway.Filters.Plugins;
using Gatehouse.Gateway.Filters.RateLimiting;
using Gatehouse.Gateway.Forwarding;
using Gatehouse.Gateway.Hosting;
using Gatehouse.Gateway.LoadBalancing;
using Gatehouse.Gateway.Matching;
using Gatehouse.Gateway.Model;
using Gatehouse.Gateway.Resilience;
using Gatehouse.Gateway.Routing;
using Gatehouse.Plugins;
using Microsoft.AspNetCore.Http;

namespace Gatehouse.Gateway.Compilation;

/// <summary>
/// Turns a validated <see cref="GatewayConfig"/> into a <see cref="ConfigSnapshot"/>: merges policies, indexes
/// services and mappings, builds matchers, route tables and balancers. Runs off the request path; throws
/// <see cref="ConfigException"/> before anything is published when the config cannot be served.
/// </summary>
internal sealed class SnapshotCompiler
{
    private readonly string _group;
    private readonly string? _localLoc;
    private readonly RouterPipeline _routers;
    private readonly ILoadBalancerProvider _balancers;
    private readonly UpstreamClientFactory _clients;
    private readonly NodeStateRegistry _nodeStates;
    private readonly TimeProvider _time;
    private readonly RateLimiterRegistry _rateLimiters;
    private readonly ResilienceRegistry _resilience;
    private readonly Observability.GatewayMetrics? _metrics;
    private readonly AuthRegistry _auth;
    private readonly PluginCompiler _plugins;
    private readonly BuiltInFilterFactories _builtIns;
    private readonly Func<string, string?> _environment = Environment.GetEnvironmentVariable;

    public SnapshotCompiler(string group, string? localLoc, RouterPipeline routers, ILoadBalancerProvider balancers,
        UpstreamClientFactory clients, NodeStateRegistry nodeStates, TimeProvider time, RateLimiterRegistry? rateLimiters = null,
        ResilienceRegistry? resilience = null, Observability.GatewayMetrics? metrics = null, AuthRegistry? auth = null,
        PluginCompiler? plugins = null)
    {
        _metrics = metrics;
        _plugins = plugins ?? PluginCompiler.BuiltIn;
        _auth = auth ?? new AuthRegistry(new LocalNonceStore(time), time);
        _rateLimiters = rateLimiters ?? new RateLimiterRegistry(time);
        _builtIns = new BuiltInFilterFactories(_rateLimiters);
        _resilience = resilience ?? new ResilienceRegistry(time);
        _group = group;
        _localLoc = localLoc;
        _routers = routers;
        _balancers = balancers;
        _clients = clients;
        _nodeStates = nodeStates;
        _time = time;
    }

    public SnapshotCompiler(GatewayOptions options, RouterPipeline routers, ILoadBalancerProvider balancers,
        UpstreamClientFactory clients, NodeStateRegistry nodeStates, TimeProvider time, RateLimiterRegistry rateLimiters,
        ResilienceRegistry? resilience = null, Observability.GatewayMetrics? metrics = null, AuthRegistry? auth = null,
        PluginCompiler? plugins = null)
        : this(options.Group, options.Loc, routers, balancers, clients, nodeStates, time, rateLimiters, resilience, metrics, auth, plugins)
    {
    }

    /// <param name="catalog">The plugin filters to compile with; null for the catalog in force. A plugin swap passes the
    /// candidate catalog, which becomes the one in force only if this snapshot is published.</param>
    public ConfigSnapshot Compile(GatewayConfig config, string source, long version, string checksum,
        Gatehouse.Plugins.PluginCatalog? catalog = null)
    {
        catalog ??= _plugins.Catalog;
        var errors = ConfigValidator.Validate(config, source, catalog);
        if (errors.Count > 0)
        {
            throw new ConfigException(errors);
        }

        var pluginErrors = new List<ConfigError>();

        var tls = LoadUpstreamTls(config, source);
        var rateLimitScopes = new HashSet<string>(StringComparer.Ordinal);
        var auth = _auth.Begin(config, source);
        var services = new Dictionary<string, ServiceModel>(StringComparer.OrdinalIgnoreCase);
        foreach (var service in config.Services)
        {
            if (InGroup(service.Group))
            {
                services[service.Name] = CompileService(service, config.Global, rateLimitScopes, auth, tls.GetValueOrDefault(service.Name),
                    source, pluginErrors, catalog);
            }
        }

        // A plugin that cannot be created refuses the snapshot as a whole; the previous one keeps serving.
        if (pluginErrors.Count > 0)
        {
            throw new ConfigException(pluginErrors);
        }

        var domainPrefixes = new Dictionary<string, OriginTarget>(StringComparer.OrdinalIgnoreCase);
        var pathPrefixes = new Dictionary<string, OriginTarget>(StringComparer.Ordinal);
        foreach (var mapping in config.OriginMappings)
        {
            // Mappings to services of other groups are dropped with those services.
            if (!services.TryGetValue(mapping.Service, out var target))
            {
                continue;
            }

            if (mapping.DomainPrefix is { } domain)
            {
                domainPrefixes[domain] = new OriginTarget(target, false);
            }
            else if (mapping.PathPrefix is { } prefix)
            {
                pathPrefixes[prefix] = new OriginTarget(target, mapping.StripPrefix);
            }
        }

        // Tags are unique ignoring case (ConfigValidator), so the header is matched ignoring case too.
        var sets = new Dictionary<string, ServiceModel[]>(StringComparer.OrdinalIgnoreCase);
        foreach (var set in config.ServiceSets)
        {
            var members = new List<ServiceModel>(set.Services.Count);
            foreach (var name in set.Services)
            {
                if (services.TryGetValue(name, out var member))
                {
                    members.Add(member);
                }
            }

            if (members.Count > 0)
            {
                sets[set.Tag] = members.ToArray();
            }
        }

        return new ConfigSnapshot(
            version,
            checksum,
            source,
            _time.GetUtcNow(),
            services.ToFrozenDictionary(StringComparer.OrdinalIgnoreCase),
            domainPrefixes.ToFrozenDictionary(StringComparer.OrdinalIgnoreCase),
            pathPrefixes.ToFrozenDictionary(StringComparer.Ordinal),
            sets.ToFrozenDictionary(StringComparer.OrdinalIgnoreCase),
            rateLimitScopes)
        {
            Config = config,
        };
    }

    /// <summary>
    /// Reads the upstream TLS files of this group's services; every unusable file of every service is reported at once,
    /// before anything else is built.
    /// </summary>
    private Dictionary<string, UpstreamTlsSettings> LoadUpstreamTls(GatewayConfig config, string source)
    {
        var result = new Dictionary<string, UpstreamTlsSettings>(StringComparer.OrdinalIgnoreCase);
        List<ConfigError>? errors = null;
        foreach (var service in config.Services)
        {
            if (service.UpstreamTls is null || !InGroup(service.Group))
            {
                continue;
            }

            errors ??= [];
            // Validation guarantees a name, so the entry reads like the validator's: services[orders].upstreamTls.caFile.
            if (UpstreamTlsLoader.Load(service.UpstreamTls, $"services[{service.Name}].upstreamTls", source, _environment, errors) is { } settings)
            {
                result[service.Name] = settings;
            }
        }

        return errors is { Count: > 0 } ? throw new ConfigException(errors) : result;
    }

    private bool InGroup(string? group) => group is null || string.Equals(group, _group, StringComparison.OrdinalIgnoreCase);

    private ServiceModel CompileService(ServiceConfig service, PolicyConfig? global, HashSet<string> rateLimitScopes,
        AuthRegistry.Compilation auth, UpstreamTlsSettings? tls, string source, List<ConfigError> pluginErrors,
        Gatehouse.Plugins.PluginCatalog catalog)
    {
        var health = Health.ServiceHealthPolicy.For(service);
        var nodes = new NodeModel[service.Nodes.Count];
        for (var i = 0; i < nodes.Length; i++)
        {
            nodes[i] = CompileNode(service.Name, service.Nodes[i], health, tls);
        }

        var lanes = new List<ServiceLane>();
        var apis = new ApiModel[service.Apis.Count];
        for (var i = 0; i < apis.Length; i++)
        {
            var config = service.Apis[i];
            var policy = PolicyMerger.Merge(config.Policy, service.Policy, global);
            var methods = config.Methods.Count == 0 ? null : ToUpper(config.Methods);
            var api = new ApiModel(service.Name, config.Id, config.Path, ApiPathSyntax.Resolve(config.Match, config.Path), methods, policy);

            var laneKey = new LaneKey(policy.LoadBalancer, policy.Nearest, policy.Gray, policy.Canary);
            var laneIndex = lanes.FindIndex(l => l.Key == laneKey);
            if (laneIndex < 0)
            {
                lanes.Add(new ServiceLane(laneKey, nodes, _routers, _balancers, _localLoc, service.ActiveVersion));
                laneIndex = lanes.Count - 1;
            }

            api.LaneIndex = laneIndex;
            api.Dubbo = Forwarding.Dubbo.DubboApiModel.For(config, api.Kind);
            api.Tars = Forwarding.Tars.TarsApiModel.For(config, api.Kind);

            // Descriptor sets are read and checked here, like files; a bad one refuses the snapshot as a whole.
            api.Transcoding = Grpc.Transcoding.TranscodingApiModel.Compile(config, $"services[{service.Name}].apis[{config.Id}]", source, pluginErrors);
            api.Invoker = _clients.GetInvoker(UpstreamTransportSettings.For(policy, tls));
            api.ForwardOptions = new ForwardOptions(policy.ResponseHeadersTimeout, policy.IdleTimeout);
            var plugins = _plugins.Compile(global, service, config, source, pluginErrors, catalog);
            api.Filters = CompileFilters(new BuiltInFilterScope(global, service, config, policy, auth, rateLimitScopes), plugins);
            api.Resilience = _resilience.Compile(service.Name, config.Id, policy, nodes);
            if (_metrics is not null)
            {
                api.Metrics = _metrics.GetOrAdd(service.Name, config.Id);
            }

            apis[i] = api;
        }

        return new ServiceModel(service.Name, nodes, apis, new ApiMatcher(apis), lanes.ToArray());
    }

    /// <summary>
    /// The API's one filter chain (<see cref="BuiltInFilterFactories"/> gives the order): IP lists and the body limit,
    /// the plugin filters (<c>policy.filters</c>) that run before access control, authentication (client certificate,
    /// signature, JWT, login state) then rate limits, so refused callers never spend rate-limit tokens, the plugin
    /// filters that run after access control, and payload encryption last, so only admitted callers cost a buffer and a
    /// decryption. <see cref="FilterChain.Empty"/> when nothing applies.
    /// </summary>
    /// <remarks>
    /// Plugin filters run before authentication by default because a CORS preflight carries no credentials (Fetch
    /// §3.2.5) and must be answered before an auth filter would refuse it; denied addresses are still refused first.
    /// A cache or an aggregation asks to run after access control: it must never answer a caller the gateway would refuse.
    /// </remarks>
    private FilterChain CompileFilters(BuiltInFilterScope scope, List<CompiledPlugin>? plugins)
    {
        var chain = new List<CompiledPlugin>(4);
        AddBuiltIns(chain, _builtIns.BeforePlugins, scope);
        AddPlugins(chain, plugins, PluginStage.BeforeAccessControl);
        AddBuiltIns(chain, _builtIns.AccessControl, scope);
        AddPlugins(chain, plugins, PluginStage.AfterAccessControl);
        AddBuiltIns(chain, _builtIns.Last, scope);
        return chain.Count == 0 ? FilterChain.Empty : new FilterChain([.. chain], scope.Service.Name, scope.Api.Id, _plugins.Logger);
    }

    private void AddBuiltIns(List<CompiledPlugin> chain, IBuiltInFilterFactory[] factories, BuiltInFilterScope scope)
    {
        foreach (var factory in factories)
        {
            if (factory.Create(scope) is { } filter)
            {
                // Counters of built-ins are registered on their first failure: a healthy gateway shows no series for them.
                chain.Add(new CompiledPlugin(factory.Name, filter, _metrics));
            }
        }
    }

    private static void AddPlugins(List<CompiledPlugin> chain, List<CompiledPlugin>? plugins, PluginStage stage)
    {
        foreach (var plugin in plugins ?? [])
        {
            if (plugin.Instance.Stage == stage)
            {
                chain.Add(plugin);
            }
        }
    }

    private NodeModel CompileNode(string serviceName, NodeConfig node, Health.ServiceHealthPolicy health, UpstreamTlsSettings? tls)
    {
        var address = new Uri(node.Address, UriKind.Absolute);
        var id = NodeIdentity.EffectiveId(node)!;
        var gray = node.Gray.Count == 0 ? [] : node.Gray.ToArray();
        // A node whose registry lease expired is out of rotation like an offline one, without touching the operator's switch.
        var expired = RegistryMetadata.IsExpired(node);
        var online = node.Online && !expired;
        var state = _nodeStates.GetOrAdd(serviceName, id, out var added);
        if (added && health.SlowStart > TimeSpan.Zero)
        {
            // A node new to this gateway starts at 10% of its weight; HealthCheckService ramps it up.
            state.SetWarming(Health.HealthCheckService.SlowStartFloorPercent, _time.GetTimestamp());
        }

        return new NodeModel(serviceName, id, address, node.Weight, node.Loc, online, gray, node.Protocol, state, node.Version)
        {
            HealthPath = node.HealthPath ?? health.Path,
            Health = health,
            Tls = tls,
            RegistryExpired = expired,
        };
    }

    private static string[] ToUpper(IReadOnlyList<string> methods)
    {
        var result = new string[methods.Count];
        for (var i = 0; i < result.Length; i++)
        {
            // Interned well-known method strings let ApiModel.AllowsMethod hit its reference-equality fast path.
            result[i] = HttpMethods.GetCanonicalizedValue(methods[i].ToUpperInvariant());
        }

        return result;
    }
}
