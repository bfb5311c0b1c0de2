using Gatehouse.Core.Config;
using Gatehouse.Gateway.Compilation;
using Gatehouse.Gateway.Filters.RateLimiting;
using Gatehouse.Gateway.Model;
using Microsoft.Extensions.Logging;

namespace Gatehouse.Gateway.ConfigSync;

/// <summary>
/// Validates and compiles a config off the request path, then publishes it with one reference swap. A config
/// that fails is rejected as a whole and the previous snapshot keeps serving. Calls are serialised, so two
/// sources (file watcher, admin push) can never interleave a half-built snapshot.
/// </summary>
internal sealed partial class ConfigApplier
{
    private readonly SnapshotState _state;
    private readonly SnapshotCompiler _compiler;
    private readonly NodeStateRegistry _nodeStates;
    private readonly RateLimiterRegistry _rateLimiters;
    private readonly ILogger<ConfigApplier> _logger;
    private readonly Resilience.ResilienceRegistry? _resilience;
    private readonly Filters.Plugins.Loading.PluginRegistry? _plugins;
    private readonly SemaphoreSlim _gate = new(1, 1);
    private long _localVersion;

    public ConfigApplier(SnapshotState state, SnapshotCompiler compiler, NodeStateRegistry nodeStates,
        RateLimiterRegistry rateLimiters, ILogger<ConfigApplier> logger, Resilience.ResilienceRegistry? resilience = null,
        Filters.Plugins.Loading.PluginRegistry? plugins = null)
    {
        _plugins = plugins;
        _resilience = resilience;
        _rateLimiters = rateLimiters;
        _state = state;
        _compiler = compiler;
        _nodeStates = nodeStates;
        _logger = logger;
    }

    /// <summary>Applies <paramref name="config"/>; returns the published snapshot, or null when it was unchanged.</summary>
    /// <exception cref="ConfigException">The config is invalid; nothing was changed.</exception>
    public Task<ConfigSnapshot?> ApplyAsync(GatewayConfig config, string source, CancellationToken cancellationToken = default) =>
        ApplyAsync(config, source, distributed: null, cancellationToken);

    /// <summary>
    /// Applies <paramref name="config"/> together with the plugins the admin distributed for it (<paramref name="distributed"/>,
    /// keyed <c>admin:{package}</c>; null leaves the distributed plugins as they are): compiled against them and, when it
    /// is published, put in force with it in one step, so the snapshot and the plugin code behind it always match.
    /// </summary>
    /// <exception cref="ConfigException">The config is invalid with those plugins; nothing was changed.</exception>
    public async Task<ConfigSnapshot?> ApplyAsync(GatewayConfig config, string source,
        IReadOnlyDictionary<string, Gatehouse.Core.Plugins.LoadedPlugin>? distributed, CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken);
        try
        {
            var checksum = ConfigChecksum.Compute(config);
            var current = _state.Current;
            if (current is not null && current.Checksum == checksum)
            {
                return null;
            }

            // A file carries no version: number its loads so /control/config/version still moves forward.
            var version = config.Version > 0 ? config.Version : Math.Max(_localVersion, current?.Version ?? 0) + 1;
            ConfigSnapshot snapshot;
            Dictionary<string, Gatehouse.Core.Plugins.LoadedPlugin>? plugins = null;
            Gatehouse.Plugins.PluginCatalog? catalog = null;
            try
            {
                if (distributed is not null && _plugins is not null)
                {
                    plugins = _plugins.WithDistributed(_plugins.Active, distributed);
                    catalog = CatalogOf(_plugins, plugins);
                }

                snapshot = _compiler.Compile(config, source, version, checksum, catalog);
            }
            catch (ConfigException ex)
            {
                Log.Rejected(_logger, source, ex.Message);
                throw;
            }

            _localVersion = version;
            if (plugins is not null)
            {
                _plugins!.Commit(plugins, catalog!);
            }

            _state.Publish(snapshot);
            _nodeStates.Retain(snapshot);
            _rateLimiters.Retain(snapshot.RateLimitScopes);
            _resilience?.Retain(snapshot);
            Log.Applied(_logger, version, checksum[..12], source, snapshot.Services.Count);
            return snapshot;
        }
        finally
        {
            _gate.Release();
        }
    }

    private static Gatehouse.Plugins.PluginCatalog CatalogOf(Filters.Plugins.Loading.PluginRegistry registry,
        Dictionary<string, Gatehouse.Core.Plugins.LoadedPlugin> plugins)
    {
        try
        {
            return registry.CatalogOf(plugins);
        }
        catch (ArgumentException ex)
        {
            // A distributed package names a filter that a plugin folder (or another package) already provides.
            throw new ConfigException([new ConfigError(null, "plugins", ex.Message)]);
        }
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 3001, Level = LogLevel.Information, Message = "Config version {Version} ({Checksum}) from {Source} applied: {ServiceCount} services")]
        public static partial void Applied(ILogger logger, long version, string checksum, string source, int serviceCount);

        [LoggerMessage(EventId = 3002, Level = LogLevel.Error, Message = "Config from {Source} rejected; the previous config keeps serving. {Problems}")]
        public static partial void Rejected(ILogger logger, string source, string problems);
    }
}
