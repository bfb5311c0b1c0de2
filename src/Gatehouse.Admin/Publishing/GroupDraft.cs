using System.Text.Json;
using Gatehouse.Admin.Storage;
using Gatehouse.Core.Config;

namespace Gatehouse.Admin.Publishing;

/// <summary>
/// A group's stored state loaded for one write: the tracked entities, which a write changes through these methods so
/// the would-be config can be built from them before anything is saved.
/// </summary>
internal sealed class GroupDraft(AdminDbContext db, GroupEntity group, List<ServiceEntity> services,
    List<OriginMappingEntity> mappings, List<ServiceSetEntity> sets, long currentVersion)
{
    /// <summary>The group row; tracked, so changes to it are saved with the write.</summary>
    public GroupEntity Group { get; } = group;

    /// <summary>The latest published version of the group (0 before the first).</summary>
    public long CurrentVersion { get; } = currentVersion;

    /// <summary>Set by a change that found the group already as it wanted: the writer then publishes nothing.</summary>
    public bool Unchanged { get; set; }

    /// <summary>The group's services as the change left them.</summary>
    public IReadOnlyList<ServiceEntity> Services => services;

    /// <summary>The group's origin mappings as the change left them.</summary>
    public IReadOnlyList<OriginMappingEntity> Mappings => mappings;

    /// <summary>The group's service sets as the change left them.</summary>
    public IReadOnlyList<ServiceSetEntity> Sets => sets;

    /// <summary>The service named exactly <paramref name="name"/>, or null.</summary>
    public ServiceEntity? FindService(string name) => services.Find(s => s.Name == name);

    /// <summary>Adds a service at the end of the list, at revision 1.</summary>
    public void AddService(ServiceConfig service)
    {
        var entity = new ServiceEntity
        {
            Group = Group.Name,
            Name = service.Name,
            Position = services.Count == 0 ? 0 : services.Max(s => s.Position) + 1,
            Json = ToJson(service),
            Revision = 1,
        };
        services.Add(entity);
        db.Services.Add(entity);
    }

    /// <summary>Replaces a service's content and bumps its revision.</summary>
    public static void ReplaceService(ServiceEntity entity, ServiceConfig service)
    {
        entity.Json = ToJson(service);
        entity.Revision++;
    }

    /// <summary>Removes a service.</summary>
    public void RemoveService(ServiceEntity entity)
    {
        services.Remove(entity);
        db.Services.Remove(entity);
    }

    /// <summary>Adds an origin mapping at the end of the list under <paramref name="id"/> (generated when null); returns the id.</summary>
    public string AddMapping(OriginMappingConfig mapping, string? id = null)
    {
        var entity = new OriginMappingEntity
        {
            Group = Group.Name,
            Id = id ?? NewMappingId(),
            Position = mappings.Count == 0 ? 0 : mappings.Max(m => m.Position) + 1,
            Json = JsonSerializer.Serialize(mapping, ConfigSerializer.Options),
        };
        mappings.Add(entity);
        db.OriginMappings.Add(entity);
        return entity.Id;
    }

    /// <summary>Removes an origin mapping.</summary>
    public void RemoveMapping(OriginMappingEntity entity)
    {
        mappings.Remove(entity);
        db.OriginMappings.Remove(entity);
    }

    /// <summary>Adds a service set at the end of the list.</summary>
    public void AddSet(ServiceSetConfig set)
    {
        var entity = new ServiceSetEntity
        {
            Group = Group.Name,
            Tag = set.Tag,
            Position = sets.Count == 0 ? 0 : sets.Max(s => s.Position) + 1,
            Json = JsonSerializer.Serialize(set, ConfigSerializer.Options),
        };
        sets.Add(entity);
        db.ServiceSets.Add(entity);
    }

    /// <summary>Removes a service set.</summary>
    public void RemoveSet(ServiceSetEntity entity)
    {
        sets.Remove(entity);
        db.ServiceSets.Remove(entity);
    }

    /// <summary>Sets (or clears) the global policy and bumps the group revision.</summary>
    public void SetGlobalPolicy(PolicyConfig? policy)
    {
        Group.GlobalPolicyJson = policy is null ? null : JsonSerializer.Serialize(policy, ConfigSerializer.Options);
        Group.Revision++;
    }

    /// <summary>Replaces everything in the group with <paramref name="config"/>; services that keep their name keep their row.</summary>
    public void ReplaceAll(GatewayConfig config)
    {
        var incoming = config.Services.Select(s => s.Name).ToHashSet(StringComparer.Ordinal);
        foreach (var stale in services.Where(s => !incoming.Contains(s.Name)).ToList())
        {
            RemoveService(stale);
        }

        foreach (var entity in services)
        {
            entity.Position = -1;
        }

        for (var i = 0; i < config.Services.Count; i++)
        {
            var service = config.Services[i];
            var existing = FindService(service.Name);
            if (existing is null)
            {
                AddService(service);
                existing = services[^1];
            }
            else
            {
                ReplaceService(existing, service);
            }

            existing.Position = i;
        }

        foreach (var mapping in mappings.ToList())
        {
            RemoveMapping(mapping);
        }

        foreach (var mapping in config.OriginMappings)
        {
            AddMapping(mapping);
        }

        foreach (var set in sets.ToList())
        {
            RemoveSet(set);
        }

        foreach (var set in config.ServiceSets)
        {
            AddSet(set);
        }

        SetGlobalPolicy(config.Global);
    }

    /// <summary>The config the group would publish as <paramref name="version"/> from the entities as they are now.</summary>
    public GatewayConfig Build(long version) => new()
    {
        Version = version,
        Group = Group.Name,
        Global = Group.GlobalPolicyJson is null ? null : JsonSerializer.Deserialize<PolicyConfig>(Group.GlobalPolicyJson, ConfigSerializer.Options),
        Services = services.OrderBy(s => s.Position).Select(s => ReadService(s.Json)).ToList(),
        OriginMappings = mappings.OrderBy(m => m.Position)
            .Select(m => JsonSerializer.Deserialize<OriginMappingConfig>(m.Json, ConfigSerializer.Options)!).ToList(),
        ServiceSets = sets.OrderBy(s => s.Position)
            .Select(s => JsonSerializer.Deserialize<ServiceSetConfig>(s.Json, ConfigSerializer.Options)!).ToList(),
    };

    /// <summary>A fresh origin mapping id; callers that must know the id before the write (for its audit row) take one here.</summary>
    public static string NewMappingId() => Guid.NewGuid().ToString("N");

    /// <summary>
    /// The stored JSON of one entry as the entities are now, for the audit log; null when it does not exist. The
    /// <see cref="AuditKinds.Group"/> kind is the whole config and is handled by the writer, which owns the snapshot.
    /// </summary>
    public string? EntryJson(string kind, string id) => kind switch
    {
        AuditKinds.Service => FindService(id)?.Json,
        AuditKinds.OriginMapping => mappings.Find(m => m.Id == id)?.Json,
        AuditKinds.ServiceSet => sets.Find(s => s.Tag == id)?.Json,
        AuditKinds.GlobalPolicy => Group.GlobalPolicyJson,
        _ => null,
    };

    /// <summary>Reads a stored service JSON document.</summary>
    public static ServiceConfig ReadService(string json) => JsonSerializer.Deserialize<ServiceConfig>(json, ConfigSerializer.Options)!;

    /// <summary>A service as stored JSON; equal JSON means an equal service.</summary>
    public static string ToJson(ServiceConfig service) => JsonSerializer.Serialize(service, ConfigSerializer.Options);
}
