using Gatehouse.Admin.Api;
using Gatehouse.Admin.Publishing;
using Gatehouse.Admin.Storage;
using Gatehouse.Core.Config;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Gatehouse.Admin.Registry;

/// <summary>What a registry call ended in: the group's version after it, whether it published one, or a problem.</summary>
internal sealed record RegistryResult(long Version, bool Changed, IResult? Problem = null);

/// <summary>
/// The embedded registry: register (idempotent upsert of the node and its APIs), heartbeat (moves the lease only),
/// deregister (removes the node and publishes at once) and the sweep that expires and then removes silent nodes.
/// </summary>
/// <remarks>
/// Config changes go through <see cref="ConfigWriter"/> like every other write (validated, versioned, audited, pushed);
/// a write that would change nothing publishes nothing. Leases live in <c>registry_leases</c> and are changed with
/// conditional single-row updates, so admins sharing one database never double-apply a transition.
/// </remarks>
internal sealed partial class RegistryService(AdminDbContext db, ConfigWriter writer, TimeProvider time, IOptions<AdminOptions> options,
    ILogger<RegistryService> logger)
{
    // Two admins on one database can race for the same next version; the loser retries on the fresh state after a
    // short random pause, so a burst of registrations spread over several admins (a fleet restarting) all land.
    private const int WriteAttempts = 12;

    private long NowMs => time.GetUtcNow().ToUnixTimeMilliseconds();

    private long LeaseTtlMs => (long)options.Value.RegistryLeaseTtl.TotalMilliseconds;

    public async Task<RegistryResult> RegisterAsync(RegistrationRequest request, CancellationToken ct)
    {
        var errors = RegistrationRules.Check(request);
        if (errors.Count == 0 && !await db.Groups.AnyAsync(g => g.Name == request.Group, ct))
        {
            errors["group"] = [$"group '{request.Group}' does not exist; an operator creates groups"];
        }

        if (errors.Count > 0)
        {
            return new RegistryResult(0, false, TypedResults.ValidationProblem(errors));
        }

        var (group, service, nodeId) = (request.Group!, request.Service!, RegistrationRules.NodeId(request));
        var heldOffline = await db.RegistryLeases.AsNoTracking()
            .AnyAsync(l => l.Group == group && l.Service == service && l.NodeId == nodeId && l.State == RegistryLeaseStates.HeldOffline, ct);
        var result = await WriteWithRetryAsync(group, new AuditTarget("registry.register", AuditKinds.Service, service),
            $"registry: register node {nodeId} of service {service}", draft =>
            {
                var entity = draft.FindService(service);
                var current = entity is null ? new ServiceConfig { Name = service } : GroupDraft.ReadService(entity.Json);
                var nodes = current.Nodes.ToList();
                var index = nodes.FindIndex(n => RegistryMerge.IsNode(n, nodeId));
                var node = RegistryMerge.Node(request, index < 0 ? null : nodes[index], heldOffline);
                if (index < 0)
                {
                    nodes.Add(node);
                }
                else
                {
                    nodes[index] = node;
                }

                var changed = current with { Nodes = nodes, Apis = RegistryMerge.Apis(current.Apis, request.Apis ?? []) };
                if (entity is null)
                {
                    draft.AddService(changed);
                }
                else if (GroupDraft.ToJson(changed) == entity.Json)
                {
                    draft.Unchanged = true;
                }
                else
                {
                    GroupDraft.ReplaceService(entity, changed);
                }

                return null;
            }, ct);
        if (result.Problem is not null)
        {
            return result;
        }

        await UpsertLiveLeaseAsync(group, service, nodeId, ct);
        if (result.Changed)
        {
            LogRegistered(logger, group, service, nodeId, result.Version);
        }

        return result;
    }

    /// <summary>Extends a live lease; false when there is none (never registered, deregistered, or expired).</summary>
    public async Task<bool> HeartbeatAsync(string group, string service, string nodeId, CancellationToken ct)
    {
        var expires = NowMs + LeaseTtlMs;
        var updated = await db.RegistryLeases
            .Where(l => l.Group == group && l.Service == service && l.NodeId == nodeId && l.State == RegistryLeaseStates.Live)
            .ExecuteUpdateAsync(s => s.SetProperty(l => l.ExpiresAtMs, expires), ct);
        return updated > 0;
    }

    /// <summary>Removes the node from its service and publishes at once; a node already gone is no change.</summary>
    public async Task<RegistryResult> DeregisterAsync(string group, string service, string nodeId, CancellationToken ct)
    {
        var offline = false;
        var result = await WriteWithRetryAsync(group, new AuditTarget("registry.deregister", AuditKinds.Service, service),
            $"registry: deregister node {nodeId} of service {service}", draft =>
            {
                offline = false;
                var entity = draft.FindService(service);
                var current = entity is null ? null : GroupDraft.ReadService(entity.Json);
                var node = current?.Nodes.FirstOrDefault(n => RegistryMerge.IsNode(n, nodeId));
                if (node is null)
                {
                    draft.Unchanged = true;
                    return null;
                }

                offline = !node.Online;
                GroupDraft.ReplaceService(entity!, current! with { Nodes = current.Nodes.Where(n => n != node).ToList() });
                return null;
            }, ct);
        if (result.Problem is not null)
        {
            return result;
        }

        await ForgetLeaseAsync(group, service, nodeId, offline, ct);
        if (result.Changed)
        {
            LogDeregistered(logger, group, service, nodeId, result.Version);
        }

        return result;
    }

    /// <summary>
    /// One pass of the sweeper: live leases past their TTL become expired (node marked, no traffic); expired leases past
    /// the grace period are removed (node leaves the config). One write per group per pass, however many nodes changed.
    /// </summary>
    /// <returns>How many leases changed state.</returns>
    public async Task<int> SweepAsync(CancellationToken ct)
    {
        var now = NowMs;
        var removeBefore = now - (long)options.Value.RegistryExpiredGrace.TotalMilliseconds;
        var due = await db.RegistryLeases.AsNoTracking()
            .Where(l => (l.State == RegistryLeaseStates.Live && l.ExpiresAtMs < now)
                || (l.State == RegistryLeaseStates.Expired && l.ExpiredAtMs < removeBefore))
            .ToListAsync(ct);

        // Claim each transition with a conditional update first: a heartbeat that landed since the query, or another
        // admin's sweep, makes the update match nothing and the lease is left alone.
        var expire = new List<RegistryLeaseEntity>();
        var remove = new List<RegistryLeaseEntity>();
        foreach (var lease in due)
        {
            var leases = db.RegistryLeases.Where(l => l.Group == lease.Group && l.Service == lease.Service && l.NodeId == lease.NodeId);
            if (lease.State == RegistryLeaseStates.Live)
            {
                if (await leases.Where(l => l.State == RegistryLeaseStates.Live && l.ExpiresAtMs < now)
                    .ExecuteUpdateAsync(s => s.SetProperty(l => l.State, RegistryLeaseStates.Expired).SetProperty(l => l.ExpiredAtMs, now), ct) > 0)
                {
                    expire.Add(lease);
                }
            }
            else if (await leases.Where(l => l.State == RegistryLeaseStates.Expired && l.ExpiredAtMs < removeBefore).ExecuteDeleteAsync(ct) > 0)
            {
                remove.Add(lease);
            }
        }

        foreach (var group in expire.Concat(remove).Select(l => l.Group).Distinct())
        {
            await ApplySweepAsync(group, expire.Where(l => l.Group == group).ToList(), remove.Where(l => l.Group == group).ToList(), ct);
        }

        return expire.Count + remove.Count;
    }

    private async Task ApplySweepAsync(string group, List<RegistryLeaseEntity> expire, List<RegistryLeaseEntity> remove, CancellationToken ct)
    {
        var heldOffline = new List<RegistryLeaseEntity>();
        var summary = $"registry: {expire.Count} node(s) expired, {remove.Count} removed after the grace period";
        var result = await WriteWithRetryAsync(group, new AuditTarget("registry.sweep", AuditKinds.Group, group), summary, draft =>
        {
            heldOffline.Clear();
            var changed = false;
            foreach (var entity in draft.Services.ToList())
            {
                var service = GroupDraft.ReadService(entity.Json);
                var nodes = service.Nodes.ToList();
                foreach (var lease in expire.Where(l => l.Service == entity.Name))
                {
                    var index = nodes.FindIndex(n => RegistryMerge.IsNode(n, lease.NodeId));
                    if (index >= 0 && !RegistryMetadata.IsExpired(nodes[index]))
                    {
                        var metadata = new SortedDictionary<string, string>(nodes[index].Metadata.ToDictionary(), StringComparer.Ordinal)
                        {
                            [RegistryMetadata.StateKey] = RegistryMetadata.Expired,
                        };
                        nodes[index] = nodes[index] with { Metadata = new Dictionary<string, string>(metadata, StringComparer.Ordinal) };
                    }
                }

                foreach (var lease in remove.Where(l => l.Service == entity.Name))
                {
                    var index = nodes.FindIndex(n => RegistryMerge.IsNode(n, lease.NodeId));
                    if (index >= 0)
                    {
                        if (!nodes[index].Online)
                        {
                            heldOffline.Add(lease);
                        }

                        nodes.RemoveAt(index);
                    }
                }

                var updated = service with { Nodes = nodes };
                if (GroupDraft.ToJson(updated) != entity.Json)
                {
                    GroupDraft.ReplaceService(entity, updated);
                    changed = true;
                }
            }

            draft.Unchanged = !changed;
            return null;
        }, ct);

        foreach (var lease in heldOffline)
        {
            await ForgetLeaseAsync(lease.Group, lease.Service, lease.NodeId, offline: true, ct);
        }

        if (result.Problem is null && result.Changed)
        {
            LogSwept(logger, group, expire.Count, remove.Count, result.Version);
        }
    }

    private async Task<RegistryResult> WriteWithRetryAsync(string group, AuditTarget audit, string summary,
        Func<GroupDraft, ProblemHttpResult?> change, CancellationToken ct)
    {
        for (var attempt = 1; ; attempt++)
        {
            var result = await writer.WriteAsync(group, audit, summary, change, ct);
            if (result.Problem?.StatusCode == StatusCodes.Status409Conflict && attempt < WriteAttempts)
            {
                // The failed SaveChanges left its entities tracked; start the next attempt from the store's state.
                db.ChangeTracker.Clear();
                await Task.Delay(Random.Shared.Next(5, 20) * attempt, ct);
                continue;
            }

            db.ChangeTracker.Clear();
            return new RegistryResult(result.Version, result.Problem is null && result.Invalid is null && !result.Unchanged,
                (IResult?)result.Problem ?? result.Invalid);
        }
    }

    private async Task UpsertLiveLeaseAsync(string group, string service, string nodeId, CancellationToken ct)
    {
        var expires = NowMs + LeaseTtlMs;
        var leases = db.RegistryLeases.Where(l => l.Group == group && l.Service == service && l.NodeId == nodeId);
        Task<int> UpdateAsync() => leases.ExecuteUpdateAsync(s => s.SetProperty(l => l.State, RegistryLeaseStates.Live)
            .SetProperty(l => l.ExpiresAtMs, expires).SetProperty(l => l.ExpiredAtMs, (long?)null), ct);
        if (await UpdateAsync() > 0)
        {
            return;
        }

        db.RegistryLeases.Add(new RegistryLeaseEntity { Group = group, Service = service, NodeId = nodeId, ExpiresAtMs = expires });
        try
        {
            await db.SaveChangesAsync(ct);
        }
        catch (DbUpdateException)
        {
            // Another admin inserted the same lease between our update and insert; theirs is now there to update.
            db.ChangeTracker.Clear();
            await UpdateAsync();
        }
        finally
        {
            db.ChangeTracker.Clear();
        }
    }

    private async Task ForgetLeaseAsync(string group, string service, string nodeId, bool offline, CancellationToken ct)
    {
        var leases = db.RegistryLeases.Where(l => l.Group == group && l.Service == service && l.NodeId == nodeId);
        if (!offline)
        {
            await leases.ExecuteDeleteAsync(ct);
            return;
        }

        if (await leases.ExecuteUpdateAsync(s => s.SetProperty(l => l.State, RegistryLeaseStates.HeldOffline)
            .SetProperty(l => l.ExpiredAtMs, (long?)null), ct) == 0)
        {
            db.RegistryLeases.Add(new RegistryLeaseEntity { Group = group, Service = service, NodeId = nodeId, State = RegistryLeaseStates.HeldOffline });
            try
            {
                await db.SaveChangesAsync(ct);
            }
            catch (DbUpdateException)
            {
                // Another admin recorded it first: the same fact.
            }
            finally
            {
                db.ChangeTracker.Clear();
            }
        }
    }

    [LoggerMessage(EventId = 40, Level = LogLevel.Information, Message = "Registry: node {NodeId} of {Group}/{Service} registered (version {Version})")]
    private static partial void LogRegistered(ILogger logger, string group, string service, string nodeId, long version);

    [LoggerMessage(EventId = 41, Level = LogLevel.Information, Message = "Registry: node {NodeId} of {Group}/{Service} deregistered (version {Version})")]
    private static partial void LogDeregistered(ILogger logger, string group, string service, string nodeId, long version);

    [LoggerMessage(EventId = 42, Level = LogLevel.Warning,
        Message = "Registry: in group {Group}, {Expired} node(s) missed heartbeats past the TTL and get no traffic, {Removed} expired node(s) removed (version {Version})")]
    private static partial void LogSwept(ILogger logger, string group, int expired, int removed, long version);
}
