using Gatehouse.Core.Config;
using Gatehouse.Gateway.Observability;
using Gatehouse.Plugins;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Gatehouse.Gateway.Filters.Plugins;

/// <summary>
/// Creates the plugin filters of each API when a snapshot is compiled, from the gateway's <see cref="PluginCatalog"/>
/// (the built-ins plus every <see cref="IGatewayPluginFactory"/> registered with the host).
/// </summary>
internal sealed class PluginCompiler
{
    private readonly GatewayMetrics? _metrics;
    private readonly ILogger _logger;
    private readonly Func<PluginCatalog> _catalog;

    public PluginCompiler(PluginCatalog catalog, GatewayMetrics? metrics = null, ILogger<FilterChain>? logger = null)
        : this(() => catalog, metrics, logger)
    {
    }

    /// <summary>A compiler whose catalog changes at run time (plugins loaded from a directory: <see cref="Loading.PluginRegistry"/>).</summary>
    public PluginCompiler(Func<PluginCatalog> catalog, GatewayMetrics? metrics = null, ILogger<FilterChain>? logger = null)
    {
        _catalog = catalog;
        _metrics = metrics;
        _logger = logger ?? (ILogger)NullLogger.Instance;
    }

    public static PluginCompiler BuiltIn { get; } = new(PluginCatalog.BuiltIn);

    /// <summary>Where the compiled chains log a filter's failures.</summary>
    public ILogger Logger => _logger;

    /// <summary>Raised when a factory throws in <c>Create</c> (plugin name, config entry, exception), so its status can show it.</summary>
    public event Action<string, string, Exception>? CreateFailed;

    /// <summary>The catalog in force: what configs are validated and compiled against.</summary>
    public PluginCatalog Catalog => _catalog();

    /// <summary>
    /// The API's effective filter list: the innermost level that sets <c>filters</c> replaces the outer ones (an empty
    /// list turns inherited filters off), like every other list in a policy. Returns the list and its entry.
    /// </summary>
    public static (IReadOnlyList<FilterConfig> Filters, string Entry)? Effective(PolicyConfig? global, ServiceConfig service, ApiConfig api)
    {
        if (api.Policy?.Filters is { } apiFilters)
        {
            return (apiFilters, $"services[{service.Name}].apis[{api.Id}].policy.filters");
        }

        if (service.Policy?.Filters is { } serviceFilters)
        {
            return (serviceFilters, $"services[{service.Name}].policy.filters");
        }

        return global?.Filters is { } globalFilters ? (globalFilters, "global.filters") : null;
    }

    /// <summary>
    /// The API's plugin filters in list order, or null when it has none that takes part in a phase; the snapshot
    /// compiler places them in the API's <see cref="FilterChain"/> by their stage. A factory that throws is reported
    /// into <paramref name="errors"/> under the filter's entry; the caller refuses the snapshot.
    /// </summary>
    public List<CompiledPlugin>? Compile(PolicyConfig? global, ServiceConfig service, ApiConfig api, string source, List<ConfigError> errors,
        PluginCatalog? catalog = null)
    {
        catalog ??= Catalog;
        if (Effective(global, service, api) is not ({ Count: > 0 } filters, var entry))
        {
            return null;
        }

        var plugins = new List<CompiledPlugin>(filters.Count);
        for (var i = 0; i < filters.Count; i++)
        {
            var filter = filters[i];
            if (!catalog.TryGet(filter.Name, out var factory))
            {
                // Validation runs with the same catalog, so this is a config compiled without validating it first.
                errors.Add(new ConfigError(source, $"{entry}[{i}].name", $"unknown plugin '{filter.Name}'"));
                continue;
            }

            IGatewayPlugin instance;
            try
            {
                instance = factory.Create(filter.Settings is { ValueKind: System.Text.Json.JsonValueKind.Object } settings ? settings : default);
            }
            catch (Exception ex)
            {
                errors.Add(new ConfigError(source, $"{entry}[{i}]", $"plugin '{filter.Name}' could not be created: {ex.Message}"));
                CreateFailed?.Invoke(filter.Name, $"{entry}[{i}]", ex);
                continue;
            }

            if (instance.Phases == PluginPhases.None)
            {
                continue;
            }

            // Counters registered now: a configured plugin's failure series show from the start, at zero.
            plugins.Add(new CompiledPlugin(filter.Name, instance, _metrics, registerCounters: true));
        }

        return plugins.Count == 0 ? null : plugins;
    }
}
