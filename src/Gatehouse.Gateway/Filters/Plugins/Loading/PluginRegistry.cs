using Gatehouse.Core.Plugins;
using Gatehouse.Plugins;
using Microsoft.Extensions.Logging;

namespace Gatehouse.Gateway.Filters.Plugins.Loading;

/// <summary>
/// The plugins a gateway knows: the built-ins and host-registered factories (the base catalog) plus the plugin folders
/// currently loaded from the plugins directory. Holds the catalog in force, what operators see of each folder
/// (<c>GET /control/plugins</c>), and the load contexts of replaced and removed versions until they are collected.
/// </summary>
/// <remarks>
/// Only the <see cref="PluginDirectoryWatcher"/> changes it, and it commits a new catalog only from inside the config
/// applier's gate, together with the snapshot compiled against it: the catalog in force and the snapshot serving always
/// match. Readers take one volatile read (<see cref="Catalog"/>) or a copy of the status under a lock.
/// </remarks>
internal sealed partial class PluginRegistry
{
    /// <summary>Replaced and removed versions listed in the status after they were collected, newest first.</summary>
    private const int CollectedKept = 20;

    private readonly object _lock = new();
    private readonly Dictionary<string, PluginStatus> _status = new(StringComparer.Ordinal);
    private readonly List<RetiredPlugin> _retired = [];
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private volatile PluginCatalog _catalog;
    private Dictionary<string, LoadedPlugin> _active = new(StringComparer.Ordinal);

    public PluginRegistry(PluginCatalog baseCatalog, TimeProvider time, ILogger<PluginRegistry> logger)
    {
        Base = baseCatalog;
        _catalog = baseCatalog;
        _time = time;
        _logger = logger;
    }

    /// <summary>Raised after a new catalog is in force (a config rejected for naming a missing plugin may now pass).</summary>
    public event Action? CatalogChanged;

    /// <summary>Built-ins and host-registered factories: names no plugin folder may take.</summary>
    public PluginCatalog Base { get; }

    /// <summary>The catalog in force.</summary>
    public PluginCatalog Catalog => _catalog;

    /// <summary>The loaded versions in force, by folder (a copy).</summary>
    public Dictionary<string, LoadedPlugin> Active
    {
        get
        {
            lock (_lock)
            {
                return new Dictionary<string, LoadedPlugin>(_active, StringComparer.Ordinal);
            }
        }
    }

    /// <summary>True while a replaced or removed version's context has not been collected yet.</summary>
    public bool UnloadsPending
    {
        get
        {
            lock (_lock)
            {
                return _retired.Exists(r => r.CollectedAt is null);
            }
        }
    }

    /// <summary>How the keys of plugins distributed by the admin begin (<c>admin:{package}</c>); no plugin folder can be named so.</summary>
    public const string DistributedPrefix = "admin:";

    /// <summary>True for the key of a plugin the admin distributed, rather than a folder of the plugins directory.</summary>
    public static bool IsDistributed(string key) => key.StartsWith(DistributedPrefix, StringComparison.Ordinal);

    /// <summary>True while some plugin distributed by the admin is in force or reported.</summary>
    public bool HasDistributed
    {
        get
        {
            lock (_lock)
            {
                foreach (var key in _status.Keys)
                {
                    if (IsDistributed(key))
                    {
                        return true;
                    }
                }

                return false;
            }
        }
    }

    /// <summary>
    /// <paramref name="candidate"/>'s plugin folders with the distributed plugins replaced by <paramref name="distributed"/>,
    /// or, when that is null, by the distributed plugins in force now (a directory change must not undo a snapshot's plugins).
    /// </summary>
    public Dictionary<string, LoadedPlugin> WithDistributed(IReadOnlyDictionary<string, LoadedPlugin> candidate,
        IReadOnlyDictionary<string, LoadedPlugin>? distributed = null)
    {
        var merged = new Dictionary<string, LoadedPlugin>(StringComparer.Ordinal);
        foreach (var (key, plugin) in candidate)
        {
            if (!IsDistributed(key))
            {
                merged[key] = plugin;
            }
        }

        if (distributed is null)
        {
            lock (_lock)
            {
                foreach (var (key, plugin) in _active)
                {
                    if (IsDistributed(key))
                    {
                        merged[key] = plugin;
                    }
                }
            }
        }
        else
        {
            foreach (var (key, plugin) in distributed)
            {
                merged[key] = plugin;
            }
        }

        return merged;
    }

    /// <summary>Drops what is shown of distributed plugins no longer asked for (a failed one the new snapshot does not pin).</summary>
    public void ForgetDistributedExcept(IReadOnlyCollection<string> keys)
    {
        lock (_lock)
        {
            foreach (var key in _status.Keys.ToArray())
            {
                if (IsDistributed(key) && !keys.Contains(key) && !_active.ContainsKey(key))
                {
                    _status.Remove(key);
                }
            }
        }
    }

    /// <summary>The base catalog plus the factories of <paramref name="active"/>.</summary>
    public PluginCatalog CatalogOf(IReadOnlyDictionary<string, LoadedPlugin> active)
    {
        var factories = new List<IGatewayPluginFactory>();
        foreach (var plugin in active.Values)
        {
            factories.AddRange(plugin.Factories);
        }

        return Base.With(factories);
    }

    /// <summary>
    /// Puts <paramref name="active"/> and its <paramref name="catalog"/> in force; every version no longer in force is
    /// unloaded (the runtime completes that once nothing, not even a request still running on the previous snapshot,
    /// uses it) and watched until its context is collected.
    /// </summary>
    public void Commit(Dictionary<string, LoadedPlugin> active, PluginCatalog catalog)
    {
        var now = _time.GetUtcNow();
        lock (_lock)
        {
            foreach (var (folder, old) in _active)
            {
                if (active.TryGetValue(folder, out var kept) && ReferenceEquals(kept, old))
                {
                    continue;
                }

                _retired.Insert(0, new RetiredPlugin(old.Folder, old.Sha256, new WeakReference(old.Context, trackResurrection: true), now));
                old.Context.Unload();
                Log.Unloading(_logger, old.Folder, old.Sha256[..12]);
                if (!active.ContainsKey(folder))
                {
                    _status.Remove(folder);
                }
            }

            foreach (var (folder, plugin) in active)
            {
                if (!_active.TryGetValue(folder, out var previous) || !ReferenceEquals(previous, plugin))
                {
                    _status[folder] = PluginStatus.Loaded(plugin) with { Folder = folder };
                    Log.Loaded(_logger, folder, string.Join(", ", plugin.FactoryNames), plugin.Sha256[..12]);
                }
            }

            _active = active;
            _catalog = catalog;
        }

        CatalogChanged?.Invoke();
    }

    /// <summary>Records that <paramref name="folder"/> could not be loaded or swapped in; any version in force keeps serving.</summary>
    public void Fail(string folder, string error)
    {
        lock (_lock)
        {
            _active.TryGetValue(folder, out var serving);
            _status[folder] = new PluginStatus(folder, "failed", error, serving is null ? null : ServingVersion.Of(serving));
        }

        Log.Failed(_logger, folder, error);
    }

    /// <summary>
    /// Records that the factory <paramref name="name"/> threw in <c>Create</c> for <paramref name="entry"/>: the config
    /// asking for it was refused and the previous snapshot keeps serving. Shown as the error of the folder in force that
    /// has the factory (a folder being swapped in is reported by the watcher instead).
    /// </summary>
    public void CreateFailed(string name, string entry, Exception exception)
    {
        lock (_lock)
        {
            foreach (var (folder, plugin) in _active)
            {
                if (Array.IndexOf(plugin.FactoryNames, name) >= 0)
                {
                    var error = $"'{name}' threw in Create for {entry}, so the config naming it was refused: {exception.Message}";
                    _status[folder] = _status.GetValueOrDefault(folder) is { } status ? status with { Error = error } : PluginStatus.Loaded(plugin) with { Folder = folder, Error = error };
                    Log.CreateFailed(_logger, folder, name, entry, exception);
                    return;
                }
            }
        }
    }

    /// <summary>Drops what is shown of a folder that is gone and has no version in force.</summary>
    public void Forget(string folder)
    {
        lock (_lock)
        {
            if (!_active.ContainsKey(folder))
            {
                _status.Remove(folder);
            }
        }
    }

    /// <summary>Records that <paramref name="folder"/> was removed but stays in force because the config in force names it.</summary>
    public void KeepRemoved(string folder, string reason)
    {
        lock (_lock)
        {
            if (_active.TryGetValue(folder, out var serving) && _status.GetValueOrDefault(folder)?.State != "removed")
            {
                _status[folder] = new PluginStatus(folder, "removed", reason, ServingVersion.Of(serving));
                Log.KeptRemoved(_logger, folder, reason);
            }
        }
    }

    /// <summary>
    /// Collects garbage and records which retired contexts are gone. Called by the watcher only while some are pending,
    /// so a gateway without plugin changes never forces a collection.
    /// </summary>
    public void CheckUnloads(TimeSpan warnAfter)
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
        var now = _time.GetUtcNow();
        lock (_lock)
        {
            for (var i = 0; i < _retired.Count; i++)
            {
                var retired = _retired[i];
                if (retired.CollectedAt is not null)
                {
                    continue;
                }

                if (!retired.Context.IsAlive)
                {
                    _retired[i] = retired with { CollectedAt = now };
                    Log.Unloaded(_logger, retired.Folder, retired.Sha256[..12], (now - retired.RetiredAt).TotalMilliseconds);
                }
                else if (!retired.Warned && now - retired.RetiredAt > warnAfter)
                {
                    _retired[i] = retired with { Warned = true };
                    Log.NotCollected(_logger, retired.Folder, retired.Sha256[..12], warnAfter.TotalSeconds);
                }
            }

            var collected = 0;
            _retired.RemoveAll(r => r.CollectedAt is not null && ++collected > CollectedKept);
        }
    }

    /// <summary>The folders an operator should look at (failed, removed while named, or with an error), for the heartbeat.</summary>
    public IReadOnlyList<PluginProblem> Problems()
    {
        lock (_lock)
        {
            var problems = new List<PluginProblem>();
            foreach (var status in _status.Values)
            {
                if (status.State != "loaded" || status.Error is not null)
                {
                    problems.Add(new PluginProblem(status.Folder, status.State, status.Error));
                }
            }

            problems.Sort((a, b) => string.CompareOrdinal(a.Folder, b.Folder));
            return problems;
        }
    }

    /// <summary>What <c>GET /control/plugins</c> shows.</summary>
    public (IReadOnlyList<PluginStatus> Plugins, IReadOnlyList<RetiredPlugin> Retired) Snapshot()
    {
        lock (_lock)
        {
            var plugins = _status.Values.OrderBy(s => s.Folder, StringComparer.Ordinal).ToArray();
            return (plugins, _retired.ToArray());
        }
    }
}

/// <summary>A plugin folder in trouble, as the heartbeat reports it to the admin.</summary>
internal sealed record PluginProblem(string Folder, string State, string? Error);

/// <summary>What an operator sees of one plugin folder.</summary>
/// <param name="State"><c>loaded</c>, <c>failed</c> (the error says why; <paramref name="Serving"/> is the version still
/// in force, if any), or <c>removed</c> (gone from the directory but kept while the config in force names it).</param>
internal sealed record PluginStatus(string Folder, string State, string? Error, ServingVersion? Serving)
{
    public static PluginStatus Loaded(LoadedPlugin plugin) => new(plugin.Folder, "loaded", null, ServingVersion.Of(plugin));
}

/// <summary>The version of a plugin in force (strings only: a status must not keep a context alive).</summary>
internal sealed record ServingVersion(string Assembly, string Sha256, IReadOnlyList<string> Factories, DateTimeOffset LoadedAt)
{
    public static ServingVersion Of(LoadedPlugin plugin) => new(plugin.Assembly, plugin.Sha256, plugin.FactoryNames, plugin.LoadedAt);
}

/// <summary>A replaced or removed version: its context is held weakly, so the check can see it collected.</summary>
internal sealed record RetiredPlugin(string Folder, string Sha256, WeakReference Context, DateTimeOffset RetiredAt)
{
    public DateTimeOffset? CollectedAt { get; init; }

    public bool Warned { get; init; }
}
