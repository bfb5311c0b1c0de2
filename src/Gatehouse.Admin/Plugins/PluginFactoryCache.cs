using System.Collections.Concurrent;
using Gatehouse.Admin.Storage;
using Gatehouse.Core.Plugins;
using Gatehouse.Plugins;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Gatehouse.Admin.Plugins;

/// <summary>
/// The admin's loaded copies of uploaded plugin packages, by sha256: each in a collectible load context of its own
/// (the gateway's <see cref="PluginLoader"/>), so the admin validates a config's filter settings with the very
/// <see cref="IGatewayPluginFactory.Validate"/> the gateways will run. Only factories are created, never filters.
/// </summary>
/// <remarks>
/// A package is loaded when it is uploaded and, after a restart, the first time a write needs it; a deleted package's
/// context is unloaded. Plugin code thus runs in the admin process: uploading is for the admin role only.
/// </remarks>
internal sealed partial class PluginFactoryCache(IOptions<AdminOptions> options, TimeProvider time, ILogger<PluginFactoryCache> logger) : IDisposable
{
    private readonly ConcurrentDictionary<string, LoadedPlugin> _loaded = new(StringComparer.Ordinal);
    private readonly SemaphoreSlim _loading = new(1, 1);
    // One folder per cache, not per process: a process may host several admins (tests, the all-in-one), and each
    // deletes its own folder when it stops.
    private readonly string _workRoot = Path.Combine(Path.GetTempPath(), "gatehouse-admin-plugins", Guid.NewGuid().ToString("N"));

    /// <summary>Largest package accepted, in bytes.</summary>
    public long MaxBytes => options.Value.PluginMaxBytes;

    /// <summary>
    /// Checks and loads <paramref name="zip"/> to find its factories (the upload check). The loaded copy is kept for
    /// validation once the caller stores the package; <see cref="Forget"/> drops it when it is not stored.
    /// </summary>
    /// <exception cref="PluginLoadException">The package is not a usable plugin.</exception>
    public LoadedPlugin Inspect(byte[] zip, string name)
    {
        var sha256 = PluginPackage.Sha256(zip);
        if (_loaded.TryGetValue(sha256, out var known))
        {
            return known;
        }

        Directory.CreateDirectory(_workRoot);
        var loaded = PluginPackage.Load(zip, name, _workRoot, MaxBytes * 4, time.GetUtcNow());
        if (!_loaded.TryAdd(sha256, loaded))
        {
            loaded.Context.Unload();
            return _loaded[sha256];
        }

        Log.Loaded(logger, name, sha256[..12], string.Join(", ", loaded.FactoryNames));
        return loaded;
    }

    /// <summary>The factories of stored package <paramref name="sha256"/>, loading it from the store the first time.</summary>
    /// <exception cref="PluginLoadException">The stored package no longer loads (e.g. built for another contract version).</exception>
    public async Task<IGatewayPluginFactory[]?> FactoriesAsync(AdminDbContext db, string name, string sha256, CancellationToken cancellationToken)
    {
        if (_loaded.TryGetValue(sha256, out var known))
        {
            return known.Factories;
        }

        await _loading.WaitAsync(cancellationToken);
        try
        {
            if (_loaded.TryGetValue(sha256, out known))
            {
                return known.Factories;
            }

            var content = await db.PluginPackages.AsNoTracking().Where(p => p.Name == name && p.Sha256 == sha256)
                .Select(p => p.Content).FirstOrDefaultAsync(cancellationToken);
            return content is null ? null : Inspect(content, name).Factories;
        }
        finally
        {
            _loading.Release();
        }
    }

    /// <summary>Unloads the copy of <paramref name="sha256"/> (a deleted package, or an upload that was refused).</summary>
    public void Forget(string sha256)
    {
        if (_loaded.TryRemove(sha256, out var loaded))
        {
            loaded.Context.Unload();
        }
    }

    public void Dispose()
    {
        _loading.Dispose();
        try
        {
            if (Directory.Exists(_workRoot))
            {
                Directory.Delete(_workRoot, recursive: true);
            }
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // Only leftover extraction folders of this process; the temp directory is cleaned by the system.
        }
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 7401, Level = LogLevel.Information, Message = "Plugin package {Name} ({Sha256}) loaded for validation: {Factories}")]
        public static partial void Loaded(ILogger logger, string name, string sha256, string factories);
    }
}
