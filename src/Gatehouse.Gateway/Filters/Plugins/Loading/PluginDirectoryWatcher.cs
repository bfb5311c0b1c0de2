using Gatehouse.Core.Config;
using Gatehouse.Core.Plugins;
using Gatehouse.Gateway.ConfigSync;
using Gatehouse.Gateway.Hosting;
using Gatehouse.Gateway.Model;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Gatehouse.Gateway.Filters.Plugins.Loading;

/// <summary>
/// Watches the plugins directory (<see cref="GatewayOptions.PluginsPath"/>): a <see cref="FileSystemWatcher"/> for prompt
/// changes and a scan every <see cref="GatewayOptions.PluginsPollInterval"/> for the events watchers miss. A folder that
/// is new or changed is loaded once it has stayed the same for <see cref="GatewayOptions.PluginsSettleDelay"/>; the
/// config in force is compiled against the new set of plugins and published with it in one swap, or, when it cannot be,
/// the change is refused and reported while the previous plugins and snapshot keep serving.
/// </summary>
/// <remarks>
/// Folders whose name starts with '.' are ignored, so a plugin can be staged next to the others and renamed into place.
/// A folder that is removed while the config in force names its factories stays in force (reported as <c>removed</c>)
/// and is dropped with the first config that no longer names them.
/// </remarks>
internal sealed partial class PluginDirectoryWatcher : BackgroundService
{
    private static readonly TimeSpan UnloadCheckInterval = TimeSpan.FromMilliseconds(500);
    private static readonly TimeSpan UnloadWarnAfter = TimeSpan.FromSeconds(30);

    private readonly PluginRegistry _registry;
    private readonly ConfigApplier _applier;
    private readonly SnapshotState _state;
    private readonly GatewayOptions _options;
    private readonly ILogger<PluginDirectoryWatcher> _logger;
    private readonly TimeProvider _time;
    private readonly ConfigSync.CoalescingSignal _changed = new();

    /// <summary>Folder → fingerprint of its last load attempt, successful or not: a failed folder is retried when it changes.</summary>
    private readonly Dictionary<string, string> _seen = new(StringComparer.Ordinal);

    /// <summary>Checksum of the config in force when removed folders it still named were last kept; retried when it changes.</summary>
    private string? _keptRemovedFor;

    public PluginDirectoryWatcher(PluginRegistry registry, ConfigApplier applier, SnapshotState state, IOptions<GatewayOptions> options,
        ILogger<PluginDirectoryWatcher> logger, TimeProvider time)
    {
        _registry = registry;
        _applier = applier;
        _state = state;
        _options = options.Value;
        _logger = logger;
        _time = time;
    }

    private string? PluginsDirectory => _options.PluginsPath is { } path ? Path.GetFullPath(path) : null;

    /// <summary>Loads the directory once before the config is loaded, so the first config can name its plugins.</summary>
    public override async Task StartAsync(CancellationToken cancellationToken)
    {
        if (PluginsDirectory is { } directory)
        {
            if (!Directory.Exists(directory))
            {
                Log.DirectoryMissing(_logger, directory);
            }

            await ReconcileAsync(directory, Scan(directory), cancellationToken);
        }

        await base.StartAsync(cancellationToken);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (PluginsDirectory is not { } directory)
        {
            return;
        }

        using var watcher = CreateWatcher(directory);
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                var pending = _registry.UnloadsPending;
                var wait = pending && UnloadCheckInterval < _options.PluginsPollInterval ? UnloadCheckInterval : _options.PluginsPollInterval;
                await _changed.WaitAsync(wait, stoppingToken);
                await PassAsync(directory, stoppingToken);
                if (pending || _registry.UnloadsPending)
                {
                    _registry.CheckUnloads(UnloadWarnAfter);
                }
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                break;
            }
            catch (Exception ex)
            {
                // One bad pass must not stop watching (an unhandled exception would stop the host).
                Log.PassFailed(_logger, directory, ex);
            }
        }
    }

    private async Task PassAsync(string directory, CancellationToken cancellationToken)
    {
        var scan = Scan(directory);
        var changed = HasChanges(scan);
        if (!changed && !RemovalDue(scan))
        {
            return;
        }

        if (changed && _options.PluginsSettleDelay > TimeSpan.Zero)
        {
            // A plugin being copied changes between the two scans: wait for the next pass rather than load half a plugin.
            await Task.Delay(_options.PluginsSettleDelay, _time, cancellationToken);
            var again = Scan(directory);
            if (!Same(scan, again))
            {
                Log.StillChanging(_logger, directory, _options.PluginsSettleDelay.TotalMilliseconds);
                Signal();
                return;
            }
        }

        await ReconcileAsync(directory, scan, cancellationToken);
    }

    /// <summary>Brings the plugins in force in line with <paramref name="scan"/> as far as the config in force allows.</summary>
    private async Task ReconcileAsync(string directory, Dictionary<string, string> scan, CancellationToken cancellationToken)
    {
        var active = _registry.Active;
        var candidate = new Dictionary<string, LoadedPlugin>(active, StringComparer.Ordinal);
        var removed = new List<string>();
        foreach (var folder in active.Keys)
        {
            // Plugins the admin distributed are the config sync's: only a snapshot that no longer pins them drops them.
            if (!scan.ContainsKey(folder) && !PluginRegistry.IsDistributed(folder))
            {
                removed.Add(folder);
                candidate.Remove(folder);
            }
        }

        foreach (var folder in _seen.Keys.ToArray())
        {
            if (!scan.ContainsKey(folder))
            {
                _seen.Remove(folder);
                _registry.Forget(folder);
            }
        }

        var fresh = new List<LoadedPlugin>();
        foreach (var (folder, fingerprint) in scan)
        {
            if (_seen.TryGetValue(folder, out var seen) && seen == fingerprint)
            {
                continue;
            }

            _seen[folder] = fingerprint;
            try
            {
                var loaded = PluginLoader.Load(Path.Combine(directory, folder), fingerprint, _time.GetUtcNow());
                if (NameTaken(loaded, candidate) is { } clash)
                {
                    loaded.Context.Unload();
                    _registry.Fail(folder, clash);
                    continue;
                }

                candidate[folder] = loaded;
                fresh.Add(loaded);
            }
            catch (PluginLoadException ex)
            {
                _registry.Fail(folder, ex.Message);
            }
        }

        await SwapAsync(active, candidate, fresh, removed, cancellationToken);
    }

    /// <summary>
    /// Compiles the config in force with <paramref name="candidate"/> and commits it. When the config cannot be compiled,
    /// the changes its errors name are undone (a new version whose factory fails, a removed plugin it still names) and the
    /// rest is tried again; after that, every change is undone.
    /// </summary>
    private async Task SwapAsync(Dictionary<string, LoadedPlugin> active, Dictionary<string, LoadedPlugin> candidate,
        List<LoadedPlugin> fresh, List<string> removed, CancellationToken cancellationToken)
    {
        for (var round = 0; fresh.Count > 0 || removed.Count > 0; round++)
        {
            // Merged inside the applier's gate: the distributed plugins in force then, not when this pass read them.
            var error = await _applier.RecompileAsync(() =>
            {
                var merged = _registry.WithDistributed(candidate);
                var catalog = _registry.CatalogOf(merged);
                return (catalog, () => _registry.Commit(merged, catalog));
            }, cancellationToken);
            if (error is null)
            {
                return;
            }

            var undone = false;
            foreach (var plugin in fresh.ToArray())
            {
                if (round > 0 || Names(error, plugin))
                {
                    fresh.Remove(plugin);
                    plugin.Context.Unload();
                    Restore(candidate, active, plugin.Folder);
                    _registry.Fail(plugin.Folder, $"not put in force: the config in force cannot be compiled with it: {error.Message}");
                    undone = true;
                }
            }

            foreach (var folder in removed.ToArray())
            {
                if (round > 0 || Names(error, active[folder]))
                {
                    removed.Remove(folder);
                    candidate[folder] = active[folder];
                    _registry.KeepRemoved(folder, $"the config in force still names it; it is dropped with the first config that does not ({error.Message})");
                    _keptRemovedFor = _state.Current?.Checksum;
                    undone = true;
                }
            }

            if (!undone && round > 0)
            {
                return;
            }
        }
    }

    private static void Restore(Dictionary<string, LoadedPlugin> candidate, Dictionary<string, LoadedPlugin> active, string folder)
    {
        if (active.TryGetValue(folder, out var previous))
        {
            candidate[folder] = previous;
        }
        else
        {
            candidate.Remove(folder);
        }
    }

    private static bool Names(ConfigException error, LoadedPlugin plugin)
    {
        foreach (var name in plugin.FactoryNames)
        {
            if (error.Message.Contains($"'{name}'", StringComparison.Ordinal))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>Why <paramref name="loaded"/> cannot join the others: a factory name already taken (built-in, host or another folder).</summary>
    private string? NameTaken(LoadedPlugin loaded, Dictionary<string, LoadedPlugin> candidate)
    {
        foreach (var name in loaded.FactoryNames)
        {
            if (_registry.Base.Names.Contains(name, StringComparer.OrdinalIgnoreCase))
            {
                return $"the plugin name '{name}' is taken by a built-in or host-registered plugin";
            }

            foreach (var (folder, other) in candidate)
            {
                if (folder != loaded.Folder && other.FactoryNames.Contains(name, StringComparer.OrdinalIgnoreCase))
                {
                    return $"the plugin name '{name}' is taken by plugin folder '{folder}'";
                }
            }
        }

        return null;
    }

    /// <summary>A removed folder kept for the config in force is tried again once another config is in force.</summary>
    private bool RemovalDue(Dictionary<string, string> scan)
    {
        if (_keptRemovedFor is null || _state.Current?.Checksum == _keptRemovedFor)
        {
            return false;
        }

        foreach (var folder in _registry.Active.Keys)
        {
            if (!scan.ContainsKey(folder) && !PluginRegistry.IsDistributed(folder))
            {
                return true;
            }
        }

        _keptRemovedFor = null;
        return false;
    }
}
