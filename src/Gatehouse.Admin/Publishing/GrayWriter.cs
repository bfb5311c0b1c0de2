using System.Text.Json;
using Gatehouse.Admin.Api;
using Gatehouse.Admin.Security;
using Gatehouse.Admin.Storage;
using Gatehouse.Core.Config;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;

namespace Gatehouse.Admin.Publishing;

/// <summary>The active gray config of a group as read from the store.</summary>
/// <param name="Nodes">The gateway node ids it is served to.</param>
/// <param name="Version">Its version row (flagged gray) in <c>config_versions</c>.</param>
/// <param name="CreatedAt">When it was created.</param>
internal sealed record ActiveGray(IReadOnlyList<string> Nodes, long Version, DateTimeOffset CreatedAt);

/// <summary>
/// Creates, promotes and drops a group's gray config: a whole alternative config served only to listed gateway nodes.
/// </summary>
/// <remarks>
/// Creating stores a snapshot of its own under the group's next version number (flagged gray, so it never counts as the
/// group's latest normal version). Promote and drop go through <see cref="ConfigWriter.WriteAsync"/>, so they are
/// validated writes that publish a normal version above the gray one, which is what moves the gray nodes on.
/// </remarks>
internal sealed class GrayWriter(AdminDbContext db, WriteGate gate, ConfigWriter writer, TimeProvider time, IConfigPublished published,
    CurrentActor actor, AppSecretVault vault, Plugins.PluginFactoryCache pluginFactories)
{
    /// <summary>The active gray config of <paramref name="group"/>, or null when there is none.</summary>
    public static async Task<ActiveGray?> FindAsync(AdminDbContext db, string group, CancellationToken cancellationToken)
    {
        var entity = await db.GrayConfigs.AsNoTracking().FirstOrDefaultAsync(g => g.Group == group, cancellationToken);
        return entity is null
            ? null
            : new ActiveGray(JsonSerializer.Deserialize<List<string>>(entity.NodesJson) ?? [], entity.Version, entity.CreatedAt);
    }

    /// <summary>
    /// A 400 naming the ids in <paramref name="nodes"/> that no gateway of <paramref name="group"/> has reported (in a
    /// heartbeat), or null when every id is known. Gray configs are served by exact node id, so an id with another case
    /// or a stray space would silently gray nobody; the problem suggests the known id such a typo was probably meant as.
    /// </summary>
    public static async Task<ValidationProblem?> UnknownNodesAsync(AdminDbContext db, string group, IReadOnlyList<string> nodes,
        CancellationToken cancellationToken)
    {
        var known = await db.GatewayNodes.AsNoTracking().Where(n => n.Group == group).Select(n => n.Id).ToListAsync(cancellationToken);
        var unknown = nodes.Where(id => !known.Contains(id, StringComparer.Ordinal)).ToList();
        if (unknown.Count == 0)
        {
            return null;
        }

        var named = string.Join(", ", unknown.Select(id =>
            known.FirstOrDefault(k => string.Equals(k.Trim(), id.Trim(), StringComparison.OrdinalIgnoreCase)) is { } meant
                ? $"'{id}' (did you mean '{meant}'?)"
                : $"'{id}'"));
        var listed = known.Count == 0
            ? "no gateway of the group has reported yet"
            : $"known: {string.Join(", ", known.Order(StringComparer.Ordinal).Take(20))}{(known.Count > 20 ? ", ..." : "")}";
        return Problems.InvalidField("nodes",
            $"no gateway of group '{group}' has reported node id {named} ({listed}); send \"force\": true to serve it to ids not seen yet");
    }

    /// <summary>
    /// Validates <paramref name="config"/> and stores it as the group's gray config for <paramref name="nodes"/>, which must
    /// all be gateways the group has seen unless <paramref name="force"/> (a gateway about to be started).
    /// </summary>
    public async Task<WriteResult> CreateAsync(string group, IReadOnlyList<string> nodes, GatewayConfig config, bool force,
        CancellationToken cancellationToken)
    {
        await gate.Semaphore.WaitAsync(cancellationToken);
        try
        {
            if (!await db.Groups.AnyAsync(g => g.Name == group, cancellationToken))
            {
                return new WriteResult(0, Problem: Problems.NotFound($"group '{group}' does not exist"));
            }

            if (await db.GrayConfigs.AnyAsync(g => g.Group == group, cancellationToken))
            {
                return new WriteResult(0, Problem: Problems.Conflict(
                    $"group '{group}' already has a gray config; promote or drop it first"));
            }

            if (!force && await UnknownNodesAsync(db, group, nodes, cancellationToken) is { } unknownNodes)
            {
                return new WriteResult(0, Invalid: unknownNodes);
            }

            // Taken from the group's one counter, so it is newer than anything the listed nodes can be running.
            var version = (await db.ConfigVersions.Where(v => v.Group == group).MaxAsync(v => (long?)v.Version, cancellationToken) ?? 0) + 1;
            // App secrets: validated in plaintext, stored only sealed for transport (the gray config has no app rows of its own).
            var gray = vault.OpenForImport(config with { Version = version, Group = group }, "request", out var openErrors);
            var pinned = await Plugins.PluginPins.ResolveAsync(gray, db, pluginFactories, cancellationToken);
            gray = pinned.Config;
            var errors = openErrors.Count > 0 ? openErrors : pinned.Errors.Count > 0 ? pinned.Errors : ConfigValidator.Validate(gray, null, pinned.Catalog);
            if (errors.Count > 0)
            {
                return new WriteResult(0, Invalid: Problems.Invalid(errors));
            }

            gray = vault.SealForTransport(gray, out var sealErrors);
            if (sealErrors.Count > 0)
            {
                return new WriteResult(0, Invalid: Problems.Invalid(sealErrors));
            }

            var normal = await GroupEndpoints.LatestAsync(db, group, cancellationToken);
            db.GrayConfigs.Add(new GrayConfigEntity
            {
                Group = group,
                Version = version,
                NodesJson = JsonSerializer.Serialize(nodes),
                CreatedAt = time.GetUtcNow(),
            });
            return await CommitGrayVersionAsync(group, gray, new AuditTarget("gray.create", AuditKinds.Group, group), normal?.Snapshot,
                $"gray config for {string.Join(", ", nodes)}", cancellationToken);
        }
        finally
        {
            gate.Semaphore.Release();
        }
    }

    /// <summary>Publishes the gray config as the group's new normal version and removes it.</summary>
    public async Task<WriteResult> PromoteAsync(string group, CancellationToken cancellationToken)
    {
        var active = await db.GrayConfigs.FirstOrDefaultAsync(g => g.Group == group, cancellationToken);
        if (active is null)
        {
            return await NoGrayAsync(group, cancellationToken);
        }

        // Version rows never change, so reading the gray snapshot outside the write gate is safe.
        var source = await db.ConfigVersions.AsNoTracking().FirstAsync(v => v.Group == group && v.Version == active.Version, cancellationToken);
        var config = vault.OpenForImport(ConfigSerializer.Deserialize(source.Snapshot, "store"), "store", out var openErrors);
        if (openErrors.Count > 0)
        {
            return new WriteResult(0, Invalid: Problems.Invalid(openErrors));
        }

        return await writer.WriteAsync(group, new AuditTarget("gray.promote", AuditKinds.Group, group, active.Version),
            $"promote gray version {active.Version}", draft =>
        {
            // As in a rollback: every kept service gets a new revision, and a service the gray config adds starts at the
            // new version number, so no revision an editor holds from before the promote still matches.
            var existing = draft.Services.Select(s => s.Name).ToHashSet(StringComparer.Ordinal);
            draft.ReplaceAll(config);
            foreach (var added in draft.Services.Where(s => !existing.Contains(s.Name)))
            {
                added.Revision = draft.CurrentVersion + 1;
            }

            // Removed in the same SaveChanges; if another admin removed it first, that save fails and the caller gets 409.
            db.GrayConfigs.Remove(active);
            return null;
        }, cancellationToken);
    }

    /// <summary>Removes the gray config and republishes the normal config as a new version, so gray nodes move back.</summary>
    public async Task<WriteResult> DropAsync(string group, CancellationToken cancellationToken)
    {
        var active = await db.GrayConfigs.FirstOrDefaultAsync(g => g.Group == group, cancellationToken);
        if (active is null)
        {
            return await NoGrayAsync(group, cancellationToken);
        }

        // The gray nodes run a version above the last normal one; only a newer normal version makes their pull return 200.
        return await writer.WriteAsync(group, new AuditTarget("gray.drop", AuditKinds.Group, group),
            $"drop gray version {active.Version}", _ =>
        {
            db.GrayConfigs.Remove(active);
            return null;
        }, cancellationToken);
    }

    /// <summary>
    /// Stores the active gray config again, sealed under the current control secret, as the group's next version (same
    /// config and nodes); used after a control secret rotation (<see cref="PublishedSecretResealer"/>).
    /// <see cref="WriteResult.Unchanged"/> when there is no gray config.
    /// </summary>
    public async Task<WriteResult> ResealAsync(string group, CancellationToken cancellationToken)
    {
        await gate.Semaphore.WaitAsync(cancellationToken);
        try
        {
            var active = await db.GrayConfigs.FirstOrDefaultAsync(g => g.Group == group, cancellationToken);
            if (active is null)
            {
                return new WriteResult(0, Unchanged: true);
            }

            var source = await db.ConfigVersions.AsNoTracking().FirstAsync(v => v.Group == group && v.Version == active.Version, cancellationToken);
            var opened = vault.OpenForImport(ConfigSerializer.Deserialize(source.Snapshot, "store"), "store", out var openErrors);
            if (openErrors.Count > 0)
            {
                return new WriteResult(0, Invalid: Problems.Invalid(openErrors));
            }

            // A new version number, so the gray nodes (whose pull compares versions) take the re-sealed snapshot.
            var version = (await db.ConfigVersions.Where(v => v.Group == group).MaxAsync(v => (long?)v.Version, cancellationToken) ?? 0) + 1;
            var gray = vault.SealForTransport(opened with { Version = version, Group = group }, out var sealErrors);
            if (sealErrors.Count > 0)
            {
                return new WriteResult(0, Invalid: Problems.Invalid(sealErrors));
            }

            active.Version = version;
            return await CommitGrayVersionAsync(group, gray, new AuditTarget("gray.reseal", AuditKinds.Group, group, source.Version),
                source.Snapshot, $"re-sealed gray version {source.Version} under the current control secret", cancellationToken);
        }
        finally
        {
            gate.Semaphore.Release();
        }
    }

    /// <summary>
    /// Saves <paramref name="gray"/> (sealed for transport, its version set) as a gray version row with its audit row,
    /// together with whatever the caller already changed, then pushes it. Called with the write gate held.
    /// </summary>
    private async Task<WriteResult> CommitGrayVersionAsync(string group, GatewayConfig gray, AuditTarget audit, string? before, string summary,
        CancellationToken cancellationToken)
    {
        var snapshot = ConfigSerializer.Serialize(gray);
        db.ConfigVersions.Add(new ConfigVersionEntity
        {
            Group = group,
            Version = gray.Version,
            Checksum = ConfigChecksum.Compute(gray),
            Snapshot = snapshot,
            Actor = actor.Name,
            CreatedAt = time.GetUtcNow(),
            Summary = summary,
            Gray = true,
        });
        db.AuditEntries.Add(writer.NewAuditRow(group, audit, before, snapshot, gray.Version, summary));
        try
        {
            await db.SaveChangesAsync(cancellationToken);
        }
        catch (DbUpdateException)
        {
            // Another admin took the version number or created a gray config first (both keys guard it).
            return new WriteResult(0, Problem: Problems.Conflict($"group '{group}' was changed concurrently; reload and retry"));
        }

        // Pushed like every version: each live node of the group pulls, and only the listed ones get the gray snapshot.
        published.Published(group, gray.Version);
        return new WriteResult(gray.Version);
    }

    private async Task<WriteResult> NoGrayAsync(string group, CancellationToken cancellationToken) => new(0, Problem: Problems.NotFound(
        await db.Groups.AnyAsync(g => g.Name == group, cancellationToken)
            ? $"group '{group}' has no gray config"
            : $"group '{group}' does not exist"));
}
