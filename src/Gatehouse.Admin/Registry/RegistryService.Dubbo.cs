using Gatehouse.Admin.Publishing;
using Gatehouse.Admin.Storage;
using Gatehouse.Core.Config;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;

namespace Gatehouse.Admin.Registry;

/// <summary>One Dubbo provider the mirror found for a service: its address and what its URL says.</summary>
/// <param name="NodeId"><c>host:port</c>, also the node's address after <c>dubbo://</c>.</param>
/// <param name="Weight">The URL's <c>weight</c> (default 100), at most the config's 10000.</param>
/// <param name="Version">The URL's <c>version</c>; null for none (or <c>0.0.0</c>).</param>
/// <param name="Group">The URL's <c>group</c>; null for none.</param>
/// <param name="Application">The URL's <c>application</c>, kept as metadata.</param>
internal sealed record DiscoveredProvider(string NodeId, int Weight, string? Version, string? Group, string? Application);

/// <summary>The providers of one service as the mirror read them, with the discovery block it matched them against.</summary>
internal sealed record DiscoveredService(DubboDiscoveryConfig Discovery, IReadOnlyList<DiscoveredProvider> Providers);

internal sealed partial class RegistryService
{
    /// <summary>Metadata key of a discovered node's Dubbo group.</summary>
    public const string DubboGroupKey = "dubbo.group";

    /// <summary>Metadata key of a discovered node's Dubbo application.</summary>
    public const string DubboApplicationKey = "dubbo.application";

    /// <summary>
    /// Makes each listed service's <c>source: dubbo</c> nodes the providers found for it, and removes the <c>dubbo</c>
    /// nodes of services that no longer declare discovery, in one write for the group. Idempotent: the same input again
    /// publishes nothing.
    /// </summary>
    /// <remarks>
    /// A service whose discovery block changed since the mirror read it is left for the next pass. A node of another
    /// source (a static node) at a provider's <c>host:port</c> stays as written and the provider is not added twice. The
    /// operator's online switch, <c>loc</c> and gray tags of a discovered node are kept; an offline node that leaves is
    /// remembered as held offline, as for the ZooKeeper registry.
    /// </remarks>
    public async Task<RegistryResult> MirrorDubboAsync(string group, IReadOnlyDictionary<string, DiscoveredService> discovered, CancellationToken ct)
    {
        var heldOffline = (await db.RegistryLeases.AsNoTracking()
                .Where(l => l.Group == group && l.State == RegistryLeaseStates.HeldOffline).ToListAsync(ct))
            .Select(l => (l.Service, l.NodeId)).ToHashSet();
        var removedOffline = new List<(string Service, string NodeId)>();
        var (added, removed) = (0, 0);
        var result = await WriteWithRetryAsync(group, new AuditTarget("registry.dubbo", AuditKinds.Group, group),
            "registry: mirror Dubbo providers", draft =>
            {
                removedOffline.Clear();
                (added, removed) = (0, 0);
                var changed = false;
                foreach (var entity in draft.Services.ToList())
                {
                    var current = GroupDraft.ReadService(entity.Json);
                    var declared = current.Discovery?.Dubbo;
                    List<NodeConfig> nodes;
                    if (declared is null)
                    {
                        // Discovery switched off: nothing keeps these nodes current any more.
                        nodes = current.Nodes.Where(n => n.Source != NodeSource.Dubbo).ToList();
                        removed += current.Nodes.Count - nodes.Count;
                    }
                    else if (discovered.TryGetValue(current.Name, out var found) && found.Discovery == declared)
                    {
                        nodes = Merge(current, found.Providers, heldOffline, removedOffline, ref added, ref removed);
                    }
                    else
                    {
                        continue;
                    }

                    var updated = current with { Nodes = nodes };
                    if (GroupDraft.ToJson(updated) != entity.Json)
                    {
                        GroupDraft.ReplaceService(entity, updated);
                        changed = true;
                    }
                }

                draft.Unchanged = !changed;
                return null;
            }, ct);
        if (result.Problem is not null)
        {
            return result;
        }

        // A provider back after a redeploy came back offline; its held-offline row has done its work. Left in place, it
        // would bring the node back offline after the next redeploy even if the operator had switched it on meanwhile.
        foreach (var (service, nodeId) in heldOffline)
        {
            if (discovered.TryGetValue(service, out var found) && found.Providers.Any(p => p.NodeId == nodeId))
            {
                await ForgetLeaseAsync(group, service, nodeId, offline: false, ct);
            }
        }

        foreach (var (service, nodeId) in removedOffline)
        {
            await ForgetLeaseAsync(group, service, nodeId, offline: true, ct);
        }

        if (result.Changed)
        {
            LogMirroredDubbo(logger, group, added, removed, result.Version);
        }

        return result;
    }

    private static List<NodeConfig> Merge(ServiceConfig service, IReadOnlyList<DiscoveredProvider> providers,
        HashSet<(string, string)> heldOffline, List<(string, string)> removedOffline, ref int added, ref int removed)
    {
        var nodes = service.Nodes.ToList();
        var wanted = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        foreach (var provider in providers)
        {
            var index = nodes.FindIndex(n => RegistryMerge.IsNode(n, provider.NodeId));
            if (index >= 0 && nodes[index].Source != NodeSource.Dubbo)
            {
                continue; // a static node at this address: the operator's, left as written
            }

            wanted.Add(provider.NodeId);
            var existing = index < 0 ? null : nodes[index];
            var metadata = new SortedDictionary<string, string>(StringComparer.Ordinal);
            if (provider.Group is { } group)
            {
                metadata[DubboGroupKey] = group;
            }

            if (provider.Application is { } application)
            {
                metadata[DubboApplicationKey] = application;
            }

            var node = new NodeConfig
            {
                Id = existing?.Id,
                Address = $"{NodeIdentity.DubboScheme}://{provider.NodeId}",
                Weight = provider.Weight,
                Loc = existing?.Loc,
                Online = existing?.Online ?? !heldOffline.Contains((service.Name, provider.NodeId)),
                Gray = existing?.Gray ?? [],
                Version = provider.Version,
                HealthPath = existing?.HealthPath,
                Source = NodeSource.Dubbo,
                Metadata = new Dictionary<string, string>(metadata, StringComparer.Ordinal),
            };
            if (index < 0)
            {
                nodes.Add(node);
                added++;
            }
            else
            {
                nodes[index] = node;
            }
        }

        for (var i = nodes.Count - 1; i >= 0; i--)
        {
            var id = NodeIdentity.EffectiveId(nodes[i] with { Id = null }) ?? "";
            if (nodes[i].Source == NodeSource.Dubbo && !wanted.Contains(id))
            {
                if (!nodes[i].Online)
                {
                    removedOffline.Add((service.Name, id));
                }

                nodes.RemoveAt(i);
                removed++;
            }
        }

        return nodes;
    }

    [LoggerMessage(EventId = 46, Level = LogLevel.Information,
        Message = "Registry: mirrored Dubbo providers into group {Group}: {Added} node(s) added, {Removed} removed (version {Version})")]
    private static partial void LogMirroredDubbo(ILogger logger, string group, int added, int removed, long version);
}
