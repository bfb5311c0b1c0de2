using Gatehouse.Core.Config;
using Gatehouse.Core.Plugins;
using Gatehouse.Gateway.Filters.Plugins.Loading;
using Gatehouse.Gateway.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Gatehouse.Gateway.ConfigSync;

/// <summary>The distributed plugins a snapshot needs, loaded and ready to be put in force with it; or why they are not.</summary>
/// <param name="Plugins">Every pinned package, keyed <c>admin:{package}</c> (versions already in force are reused).</param>
/// <param name="Fresh">The versions loaded for this snapshot: unloaded again when it is not applied.</param>
internal sealed record PreparedPlugins(Dictionary<string, LoadedPlugin> Plugins, List<LoadedPlugin> Fresh, string? Error)
{
    /// <summary>Unloads what was loaded for a snapshot that is not applied after all.</summary>
    public void Abandon()
    {
        foreach (var plugin in Fresh)
        {
            plugin.Context.Unload();
        }
    }
}

/// <summary>
/// Admin mode: gets the plugin packages a snapshot pins (<see cref="GatewayConfig.Plugins"/>) before it is applied. Each
/// comes from the local cache (<see cref="GatewayOptions.PluginCachePath"/>) or, when missing there, from the admin over
/// the signed control channel; either way its sha256 must equal the pin before it is kept or loaded. A package that can't
/// be had or fails to load is reported (log, <c>/control/plugins</c>, heartbeat) and the snapshot is not applied, so the
/// previous one keeps serving.
/// </summary>
/// <remarks>
/// A cached copy that does not match its pin (damaged or tampered with) is refused, logged, deleted and fetched again; a
/// download that does not match is refused and nothing is written. Packages are extracted into a fresh folder and read
/// into memory by the loader, so only the verified zip is ever trusted; cached packages no snapshot pins any more are
/// deleted after a snapshot is applied.
/// </remarks>
internal sealed partial class PluginDistribution
{
    private readonly Func<string, CancellationToken, Task<(byte[]? Package, string? Error)>>? _download;
    private readonly PluginRegistry _registry;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;

    public PluginDistribution(AdminConfigClient client, PluginRegistry registry, IOptions<GatewayOptions> options, TimeProvider time,
        ILogger<PluginDistribution> logger)
        : this(client.DownloadPluginAsync, registry, options.Value.ResolvePluginCachePath(), time, logger)
    {
    }

    /// <param name="download">Fetches a package by sha256 from the admin; null: only the cache is used.</param>
    internal PluginDistribution(Func<string, CancellationToken, Task<(byte[]? Package, string? Error)>>? download, PluginRegistry registry,
        string cacheDirectory, TimeProvider time, ILogger logger)
    {
        _download = download;
        _registry = registry;
        CacheDirectory = cacheDirectory;
        _time = time;
        _logger = logger;
    }

    /// <summary>The cache folder.</summary>
    public string CacheDirectory { get; }

    /// <summary>Largest extracted size of a package, as a bound against zip bombs.</summary>
    internal const long MaxExtracted = 1L << 30;

    /// <summary>The cache file of package <paramref name="sha256"/>.</summary>
    public string CacheFile(string sha256) => Path.Combine(CacheDirectory, sha256 + ".zip");

    /// <summary>Loads (or reuses) every package <paramref name="pins"/> names; see the remarks on the type.</summary>
    public async Task<PreparedPlugins> PrepareAsync(IReadOnlyList<PluginPinConfig>? pins, CancellationToken cancellationToken)
    {
        pins ??= [];
        var active = _registry.Active;
        var result = new Dictionary<string, LoadedPlugin>(StringComparer.Ordinal);
        var fresh = new List<LoadedPlugin>();
        _registry.ForgetDistributedExcept(pins.Select(p => PluginRegistry.DistributedPrefix + p.Name).ToArray());
        foreach (var pin in pins)
        {
            var key = PluginRegistry.DistributedPrefix + pin.Name;
            if (active.TryGetValue(key, out var inForce) && inForce.Fingerprint == pin.Sha256)
            {
                result[key] = inForce;
                continue;
            }

            try
            {
                var package = await GetPackageAsync(pin, cancellationToken);
                Directory.CreateDirectory(CacheDirectory);
                var loaded = PluginPackage.Load(package, pin.Name, CacheDirectory, MaxExtracted, _time.GetUtcNow());
                fresh.Add(loaded);
                result[key] = loaded;
            }
            catch (PluginLoadException ex)
            {
                var error = $"package {pin.Sha256[..Math.Min(12, pin.Sha256.Length)]}: {ex.Message}";
                _registry.Fail(key, error);
                var prepared = new PreparedPlugins(result, fresh, $"plugin package '{pin.Name}' {error}");
                prepared.Abandon();
                return prepared;
            }
        }

        return new PreparedPlugins(result, fresh, null);
    }

    /// <summary>Deletes cached packages that <paramref name="pins"/> (the snapshot now in force) does not name.</summary>
    public void Prune(IReadOnlyList<PluginPinConfig>? pins)
    {
        try
        {
            if (!Directory.Exists(CacheDirectory))
            {
                return;
            }

            foreach (var file in Directory.EnumerateFiles(CacheDirectory, "*.zip"))
            {
                var sha256 = Path.GetFileNameWithoutExtension(file);
                if (pins is null || !pins.Any(p => p.Sha256 == sha256))
                {
                    File.Delete(file);
                }
            }
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            Log.PruneFailed(_logger, CacheDirectory, ex.Message);
        }
    }

    /// <summary>The verified bytes of <paramref name="pin"/>'s package, from the cache or the admin.</summary>
    /// <exception cref="PluginLoadException">It cannot be had with the pinned sha256.</exception>
    internal async Task<byte[]> GetPackageAsync(PluginPinConfig pin, CancellationToken cancellationToken)
    {
        if (!PluginPackage.IsSha256(pin.Sha256))
        {
            throw new PluginLoadException($"the snapshot pins '{pin.Sha256}', which is not a sha256");
        }

        var file = CacheFile(pin.Sha256);
        string? cacheRefused = null;
        if (File.Exists(file))
        {
            var cached = await ReadAsync(file, cancellationToken);
            var actual = cached is null ? null : PluginPackage.Sha256(cached);
            if (actual == pin.Sha256)
            {
                return cached!;
            }

            cacheRefused = $"the cached copy has sha256 {actual ?? "(unreadable)"}, not the pinned one: refused and deleted";
            Log.CacheRefused(_logger, pin.Name, file, pin.Sha256, actual ?? "(unreadable)");
            TryDelete(file);
        }

        if (_download is null)
        {
            throw new PluginLoadException(cacheRefused ?? "not in the plugin cache, and there is no admin to fetch it from");
        }

        var (package, error) = await _download(pin.Sha256, cancellationToken);
        if (package is null)
        {
            throw new PluginLoadException($"{(cacheRefused is null ? "" : cacheRefused + "; ")}cannot fetch it from the admin: {error}");
        }

        var received = PluginPackage.Sha256(package);
        if (received != pin.Sha256)
        {
            Log.DownloadRefused(_logger, pin.Name, pin.Sha256, received);
            throw new PluginLoadException($"the package the admin sent has sha256 {received}, not the pinned one: refused");
        }

        await WriteAsync(file, package, cancellationToken);
        Log.Fetched(_logger, pin.Name, pin.Sha256[..12], package.Length);
        return package;
    }

    private static async Task<byte[]?> ReadAsync(string file, CancellationToken cancellationToken)
    {
        try
        {
            return await File.ReadAllBytesAsync(file, cancellationToken);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    /// <summary>A temp file and a rename, so a crash never leaves half a package under its final name.</summary>
    private async Task WriteAsync(string file, byte[] package, CancellationToken cancellationToken)
    {
        try
        {
            await AtomicFile.WriteAsync(file, package, cancellationToken);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // The package is verified and in memory; only a restart without the admin would miss the cached copy.
            Log.CacheWriteFailed(_logger, file, ex.Message);
        }
    }

    // A file left behind is verified again before any use, and pruned with the next snapshot.
    private static void TryDelete(string file) => AtomicFile.TryDelete(file);

    private static partial class Log
    {
        [LoggerMessage(EventId = 3350, Level = LogLevel.Information, Message = "Plugin package {Name} ({Sha256}, {Size} bytes) fetched from the admin and verified")]
        public static partial void Fetched(ILogger logger, string name, string sha256, int size);

        [LoggerMessage(EventId = 3351, Level = LogLevel.Warning,
            Message = "Cached plugin package {Name} at {File} does not match its pinned sha256 {Expected} (found {Actual}): refused and deleted")]
        public static partial void CacheRefused(ILogger logger, string name, string file, string expected, string actual);

        [LoggerMessage(EventId = 3352, Level = LogLevel.Error,
            Message = "Plugin package {Name} from the admin does not match its pinned sha256 {Expected} (got {Actual}): refused")]
        public static partial void DownloadRefused(ILogger logger, string name, string expected, string actual);

        [LoggerMessage(EventId = 3353, Level = LogLevel.Warning, Message = "Cannot write the plugin cache file {File}: {Reason}")]
        public static partial void CacheWriteFailed(ILogger logger, string file, string reason);

        [LoggerMessage(EventId = 3354, Level = LogLevel.Warning, Message = "Cannot prune the plugin cache {Directory}: {Reason}")]
        public static partial void PruneFailed(ILogger logger, string directory, string reason);
    }
}
