using System.Text.Json;
using Gatehouse.Admin.Storage;
using Gatehouse.Core.Config;
using Gatehouse.Core.Plugins;
using Gatehouse.Plugins;
using Microsoft.EntityFrameworkCore;

namespace Gatehouse.Admin.Plugins;

/// <summary>A config with its plugin pins set, the catalog to validate it with, and what stopped the pinning.</summary>
/// <param name="Catalog">The built-ins plus the pinned packages' factories; null when the config names no uploaded plugin.</param>
internal sealed record PinnedConfig(GatewayConfig Config, PluginCatalog? Catalog, IReadOnlyList<ConfigError> Errors);

/// <summary>
/// Pins the uploaded plugin packages a config version names (docs/plugins.md, "Deploying through the admin"): every filter
/// name that is not a built-in is looked up among the uploaded packages' factories, and the config's <c>plugins</c> list
/// is set to exactly the packages named, each with the sha256 it is written with.
/// </summary>
/// <remarks>
/// Which version: the package's latest upload at the time of the write (re-uploading an older package makes it the
/// latest again). Pins a submitted config carries (an exported config imported again, a gray config) are replaced, so
/// every write states its own choice. Once written, a version never changes meaning: a later upload is only pinned by
/// later writes, and a gray config written after an upload rolls the new version to its nodes alone.
/// </remarks>
internal static class PluginPins
{
    /// <summary>Sets the pins of <paramref name="config"/> and builds the catalog it validates with.</summary>
    public static async Task<PinnedConfig> ResolveAsync(GatewayConfig config, AdminDbContext db, PluginFactoryCache cache,
        CancellationToken cancellationToken)
    {
        var named = FilterNames(config);
        var builtIn = PluginCatalog.BuiltIn;
        named.RemoveWhere(n => builtIn.TryGet(n, out _));
        if (named.Count == 0 && config.Plugins is null)
        {
            // The common case costs no store read: only built-in filters (or none).
            return new PinnedConfig(config, null, []);
        }

        if (named.Count == 0)
        {
            return new PinnedConfig(config with { Plugins = null }, null, []);
        }

        // Metadata only (no content); ordered here, as SQLite cannot order by a date-time offset.
        var rows = (await db.PluginPackages.AsNoTracking()
            .Select(p => new { p.Name, p.Sha256, p.FactoriesJson, p.UploadedAt }).ToListAsync(cancellationToken))
            .OrderByDescending(p => p.UploadedAt).ToList();
        var latest = rows.GroupBy(r => r.Name, StringComparer.Ordinal).Select(g => g.First()).ToList();
        var pins = new List<PluginPinConfig>();
        var errors = new List<ConfigError>();
        var factories = new List<IGatewayPluginFactory>();
        foreach (var chosen in latest.OrderBy(p => p.Name, StringComparer.Ordinal))
        {
            var names = JsonSerializer.Deserialize<string[]>(chosen.FactoriesJson) ?? [];
            if (!names.Any(named.Contains))
            {
                continue;
            }

            IGatewayPluginFactory[]? loaded;
            try
            {
                loaded = await cache.FactoriesAsync(db, chosen.Name, chosen.Sha256, cancellationToken);
            }
            catch (PluginLoadException ex)
            {
                errors.Add(new ConfigError(null, $"plugins[{chosen.Name}]", $"the uploaded package {chosen.Sha256[..12]} no longer loads: {ex.Message}"));
                continue;
            }

            if (loaded is null)
            {
                continue;
            }

            factories.AddRange(loaded);
            pins.Add(new PluginPinConfig { Name = chosen.Name, Sha256 = chosen.Sha256, Factories = names });
        }

        PluginCatalog catalog;
        try
        {
            catalog = builtIn.With(factories);
        }
        catch (ArgumentException ex)
        {
            // Two packages provide the same filter name (refused at upload; kept as a guard for rows written otherwise).
            errors.Add(new ConfigError(null, "plugins", ex.Message));
            catalog = builtIn;
        }

        return new PinnedConfig(config with { Plugins = pins.Count == 0 ? null : pins }, catalog, errors);
    }

    /// <summary>Every filter name the config uses (global, service and API policies).</summary>
    public static HashSet<string> FilterNames(GatewayConfig config)
    {
        var names = new HashSet<string>(StringComparer.Ordinal);
        Add(names, config.Global);
        foreach (var service in config.Services ?? [])
        {
            Add(names, service?.Policy);
            foreach (var api in service?.Apis ?? [])
            {
                Add(names, api?.Policy);
            }
        }

        return names;
    }

    private static void Add(HashSet<string> names, PolicyConfig? policy)
    {
        foreach (var filter in policy?.Filters ?? [])
        {
            if (!string.IsNullOrEmpty(filter?.Name))
            {
                names.Add(filter.Name);
            }
        }
    }
}
