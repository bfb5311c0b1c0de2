using System.Text.Json;
using System.Text.Json.Nodes;
using Gatehouse.Admin.Security;
using Gatehouse.Admin.Storage;
using Gatehouse.Core.Config;

namespace Gatehouse.Admin.Publishing;

/// <summary>
/// A group's stored state loaded for one write: the tracked entities, which a write changes through these methods so
/// the would-be config can be built from them before anything is saved.
/// </summary>
/// <remarks>
/// Apps are handed in and built with their secrets in plaintext (decrypted by <paramref name="vault"/>), so the
/// validator sees the real secrets; <see cref="ConfigWriter"/> seals them for transport before anything is stored.
/// </remarks>
internal sealed class GroupDraft(AdminDbContext db, GroupEntity group, List<ServiceEntity> services,
    List<OriginMappingEntity> mappings, List<ServiceSetEntity> sets, long currentVersion, List<AppEntity> apps, AppSecretVault vault)
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

    /// <summary>The group's apps as the change left them.</summary>
    public IReadOnlyList<AppEntity> Apps => apps;

    /// <summary>The app with exactly this key, or null.</summary>
    public AppEntity? FindApp(string appKey) => apps.Find(a => a.AppKey == appKey);

    /// <summary>Adds an app at the end of the list, at revision 1; a plaintext <c>secret</c> is stored encrypted.</summary>
    public AppEntity AddApp(AppConfig app)
    {
        var entity = new AppEntity
        {
            Group = Group.Name,
            AppKey = app.AppKey,
            Position = apps.Count == 0 ? 0 : apps.Max(a => a.Position) + 1,
            Revision = 1,
        };
        SetApp(entity, app);
        apps.Add(entity);
        db.Apps.Add(entity);
        return entity;
    }

    /// <summary>
    /// Replaces an app's fields and bumps its revision. With <paramref name="keepSecret"/>, an app that names neither
    /// <c>secret</c> nor <c>secretRef</c> keeps the ones it has (the API's write-only secret).
    /// </summary>
    public void ReplaceApp(AppEntity entity, AppConfig app, bool keepSecret)
    {
        if (keepSecret && app.Secret is null && app.SecretRef is null)
        {
            app = app with { SecretRef = ReadApp(entity.Json).SecretRef };
            entity.Json = AppJson(app);
        }
        else
        {
            SetApp(entity, app);
        }

        entity.Revision++;
    }

    /// <summary>Removes an app.</summary>
    public void RemoveApp(AppEntity entity)
    {
        apps.Remove(entity);
        db.Apps.Remove(entity);
    }

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

    /// <summary>Replaces everything in the group with <paramref name="config"/>; services and apps that keep their name keep their row.</summary>
    /// <remarks>App secrets in <paramref name="config"/> must be plaintext (see <see cref="AppSecretVault.OpenForImport"/>).</remarks>
    public void ReplaceAll(GatewayConfig config)
    {
        var incomingApps = (config.Apps ?? []).Select(a => a.AppKey).ToHashSet(StringComparer.Ordinal);
        foreach (var stale in apps.Where(a => !incomingApps.Contains(a.AppKey)).ToList())
        {
            RemoveApp(stale);
        }

        var appList = config.Apps ?? [];
        for (var i = 0; i < appList.Count; i++)
        {
            var existing = FindApp(appList[i].AppKey);
            if (existing is null)
            {
                existing = AddApp(appList[i]);
            }
            else
            {
                ReplaceApp(existing, appList[i], keepSecret: false);
            }

            existing.Position = i;
        }

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

        // Null rather than empty without apps, so such a group publishes (and checksums) exactly as before apps existed.
        Apps = apps.Count == 0 ? null : apps.OrderBy(a => a.Position).Select(a => ReadApp(a.Json) with
        {
            Secret = a.SecretCipher is null ? null : vault.Decrypt(Group.Name, a.AppKey, a.SecretCipher),
        }).ToList(),
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
        AuditKinds.App => FindApp(id) is { } app ? AuditJson(app) : null,
        _ => null,
    };

    /// <summary>An app as the audit log and the API show it: its stored fields and <c>secretSet</c>, never the secret.</summary>
    public static string AuditJson(AppEntity app)
    {
        var node = JsonNode.Parse(app.Json)!.AsObject();
        node["secretSet"] = app.SecretCipher is not null;
        return node.ToJsonString();
    }

    /// <summary>Reads a stored app JSON document (no secret in it).</summary>
    public static AppConfig ReadApp(string json) => JsonSerializer.Deserialize<AppConfig>(json, ConfigSerializer.Options)!;

    private void SetApp(AppEntity entity, AppConfig app)
    {
        entity.Json = AppJson(app);
        entity.SecretCipher = app.Secret is null ? null : vault.Encrypt(Group.Name, app.AppKey, app.Secret);
    }

    private static string AppJson(AppConfig app) => JsonSerializer.Serialize(app with { Secret = null }, ConfigSerializer.Options);

    /// <summary>Reads a stored service JSON document.</summary>
    public static ServiceConfig ReadService(string json) => JsonSerializer.Deserialize<ServiceConfig>(json, ConfigSerializer.Options)!;

    /// <summary>A service as stored JSON; equal JSON means an equal service.</summary>
    public static string ToJson(ServiceConfig service) => JsonSerializer.Serialize(service, ConfigSerializer.Options);
}
