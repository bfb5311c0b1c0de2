using Gatehouse.Admin.Publishing;
using Gatehouse.Admin.Storage;
using Gatehouse.Core.Config;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;

namespace Gatehouse.Admin.Registry;

/// <summary>One node as the ZooKeeper mirror read it from its znode.</summary>
/// <param name="Request">The znode's data as a registration (group and service taken from the path).</param>
/// <param name="ReportApis">Merge the node's APIs: the mirror saw the znode for the first time or its data changed.</param>
internal sealed record MirroredNode(RegistrationRequest Request, bool ReportApis);

/// <summary>What ZooKeeper holds for one group: service → its live nodes, plus nodes whose znode could not be read.</summary>
/// <param name="Services">Every service with a services/{name} znode, with its valid nodes (possibly none).</param>
/// <param name="Unreadable">(service, node id) of znodes with bad data: left in the store as they are, neither upserted nor removed.</param>
internal sealed record MirroredGroup(IReadOnlyDictionary<string, IReadOnlyList<MirroredNode>> Services,
    IReadOnlySet<(string Service, string NodeId)> Unreadable);

internal sealed partial class RegistryService
{
    /// <summary>True when the group exists in the store (the mirror skips ZooKeeper groups that do not).</summary>
    public Task<bool> GroupExistsAsync(string group, CancellationToken ct) => db.Groups.AnyAsync(g => g.Name == group, ct);

    /// <summary>
    /// Makes the group's ZooKeeper-sourced nodes what ZooKeeper holds, in one write: mirrored nodes are upserted by the
    /// rules of an HTTP registration (<see cref="RegistryMerge"/>, operator's online switch and held-offline kept), and
    /// ZooKeeper-sourced nodes ZooKeeper no longer has are removed. Idempotent: the same input again publishes nothing,
    /// so several admins may mirror at once (a version race is retried on the fresh state).
    /// </summary>
    public async Task<RegistryResult> MirrorZooKeeperAsync(string group, MirroredGroup mirrored, CancellationToken ct)
    {
        var leases = await db.RegistryLeases.AsNoTracking().Where(l => l.Group == group).ToListAsync(ct);
        var heldOffline = leases.Where(l => l.State == RegistryLeaseStates.HeldOffline).Select(l => (l.Service, l.NodeId)).ToHashSet();
        var removedOffline = new List<(string Service, string NodeId)>();
        var (added, removed) = (0, 0);
        var result = await WriteWithRetryAsync(group, new AuditTarget("registry.zookeeper", AuditKinds.Group, group),
            "registry: mirror ZooKeeper", draft =>
            {
                removedOffline.Clear();
                (added, removed) = (0, 0);
                var changed = false;
                var names = mirrored.Services.Keys
                    .Concat(draft.Services.Where(e => GroupDraft.ReadService(e.Json).Nodes.Any(n => n.Source == NodeSource.ZooKeeper)).Select(e => e.Name))
                    .Distinct(StringComparer.Ordinal).ToList();
                foreach (var name in names)
                {
                    var entity = draft.FindService(name);
                    var current = entity is null ? new ServiceConfig { Name = name } : GroupDraft.ReadService(entity.Json);
                    var nodes = current.Nodes.ToList();
                    var apis = current.Apis;
                    var wanted = new HashSet<string>(StringComparer.Ordinal);
                    foreach (var node in mirrored.Services.GetValueOrDefault(name, []))
                    {
                        var nodeId = RegistrationRules.NodeId(node.Request);
                        wanted.Add(nodeId);
                        var index = nodes.FindIndex(n => RegistryMerge.IsNode(n, nodeId));
                        var merged = RegistryMerge.Node(node.Request, index < 0 ? null : nodes[index], heldOffline.Contains((name, nodeId)), NodeSource.ZooKeeper);
                        if (index < 0)
                        {
                            nodes.Add(merged);
                            added++;
                        }
                        else
                        {
                            nodes[index] = merged;
                        }

                        if (index < 0 || node.ReportApis)
                        {
                            apis = RegistryMerge.Apis(apis, node.Request.Apis ?? [], NodeSource.ZooKeeper);
                        }
                    }

                    // Removal: only what ZooKeeper put there and no longer holds; a znode we could not read keeps its node.
                    for (var i = nodes.Count - 1; i >= 0; i--)
                    {
                        var id = NodeIdentity.EffectiveId(nodes[i] with { Id = null }) ?? "";
                        if (nodes[i].Source == NodeSource.ZooKeeper && !wanted.Contains(id) && !mirrored.Unreadable.Contains((name, id)))
                        {
                            if (!nodes[i].Online)
                            {
                                removedOffline.Add((name, id));
                            }

                            nodes.RemoveAt(i);
                            removed++;
                        }
                    }

                    var updated = current with { Nodes = nodes, Apis = apis };
                    if (entity is null)
                    {
                        if (nodes.Count > 0)
                        {
                            draft.AddService(updated);
                            changed = true;
                        }
                    }
                    else if (GroupDraft.ToJson(updated) != entity.Json)
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

        // Leases: a mirrored node has none (its ZooKeeper session is its lease; the sweeper must not expire it), and an
        // operator's offline switch of a node that left is remembered like for HTTP nodes.
        foreach (var lease in leases)
        {
            if (mirrored.Services.GetValueOrDefault(lease.Service, []).Any(n => RegistrationRules.NodeId(n.Request) == lease.NodeId))
            {
                await ForgetLeaseAsync(group, lease.Service, lease.NodeId, offline: false, ct);
            }
        }

        foreach (var (service, nodeId) in removedOffline)
        {
            await ForgetLeaseAsync(group, service, nodeId, offline: true, ct);
        }

        if (result.Changed)
        {
            LogMirrored(logger, group, added, removed, result.Version);
        }

        return result;
    }

    [LoggerMessage(EventId = 45, Level = LogLevel.Information,
        Message = "Registry: mirrored ZooKeeper into group {Group}: {Added} node(s) added, {Removed} removed (version {Version})")]
    private static partial void LogMirrored(ILogger logger, string group, int added, int removed, long version);
}
