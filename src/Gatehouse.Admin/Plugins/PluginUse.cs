using System.Text.Json;
using Gatehouse.Admin.Storage;
using Microsoft.EntityFrameworkCore;

namespace Gatehouse.Admin.Plugins;

/// <summary>Which configs in force pin a plugin package: what a deletion must not pull from under the gateways.</summary>
internal static class PluginUse
{
    /// <summary>
    /// The configs that pin one of <paramref name="hashes"/> of <paramref name="name"/>: each group's latest normal version
    /// and its active gray version (as <c>group 'x' version N</c>). Older versions do not count: a rollback writes a new
    /// version, which pins what is stored at that time.
    /// </summary>
    public static async Task<List<string>> PinnedByAsync(AdminDbContext db, string name, HashSet<string> hashes, CancellationToken cancellationToken)
    {
        var inForce = new List<(string Group, long Version)>();
        foreach (var group in await db.Groups.AsNoTracking().Select(g => g.Name).ToListAsync(cancellationToken))
        {
            var latest = await db.ConfigVersions.AsNoTracking().Where(v => v.Group == group && !v.Gray)
                .MaxAsync(v => (long?)v.Version, cancellationToken);
            if (latest is { } version)
            {
                inForce.Add((group, version));
            }
        }

        foreach (var gray in await db.GrayConfigs.AsNoTracking().Select(g => new { g.Group, g.Version }).ToListAsync(cancellationToken))
        {
            inForce.Add((gray.Group, gray.Version));
        }

        var pinnedBy = new List<string>();
        foreach (var (group, version) in inForce)
        {
            var snapshot = await db.ConfigVersions.AsNoTracking().Where(v => v.Group == group && v.Version == version)
                .Select(v => v.Snapshot).FirstAsync(cancellationToken);
            if (Pins(snapshot, name, hashes))
            {
                pinnedBy.Add($"group '{group}' version {version}");
            }
        }

        return pinnedBy;
    }

    private static bool Pins(string snapshot, string name, HashSet<string> hashes)
    {
        using var document = JsonDocument.Parse(snapshot);
        if (!document.RootElement.TryGetProperty("plugins", out var plugins) || plugins.ValueKind != JsonValueKind.Array)
        {
            return false;
        }

        foreach (var pin in plugins.EnumerateArray())
        {
            if (pin.TryGetProperty("name", out var n) && n.GetString() == name
                && pin.TryGetProperty("sha256", out var sha) && sha.GetString() is { } hash && hashes.Contains(hash))
            {
                return true;
            }
        }

        return false;
    }
}
