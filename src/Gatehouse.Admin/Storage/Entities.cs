namespace Gatehouse.Admin.Storage;

/// <summary>A gateway group: the isolation unit whose config is published as one snapshot.</summary>
internal sealed class GroupEntity
{
    public string Name { get; set; } = "";

    /// <summary>Revision of the group-level settings (the global policy); bumped on every change to them.</summary>
    public long Revision { get; set; }

    /// <summary>The group's global <c>PolicyConfig</c> in <c>ConfigSerializer</c> JSON; null when unset.</summary>
    public string? GlobalPolicyJson { get; set; }

    public DateTimeOffset CreatedAt { get; set; }
}

/// <summary>One service of a group, kept whole as <c>ServiceConfig</c> JSON (nodes, APIs and policy included).</summary>
internal sealed class ServiceEntity
{
    public string Group { get; set; } = "";

    public string Name { get; set; } = "";

    /// <summary>Order in the published config; list order is part of the checksum, so it is kept.</summary>
    public int Position { get; set; }

    public string Json { get; set; } = "";

    /// <summary>Optimistic-concurrency revision; starts at 1 and grows by one per change.</summary>
    public long Revision { get; set; }
}

/// <summary>One origin mapping of a group, as <c>OriginMappingConfig</c> JSON, under a generated id.</summary>
internal sealed class OriginMappingEntity
{
    public string Group { get; set; } = "";

    public string Id { get; set; } = "";

    public int Position { get; set; }

    public string Json { get; set; } = "";
}

/// <summary>One service set of a group, as <c>ServiceSetConfig</c> JSON, keyed by its tag.</summary>
internal sealed class ServiceSetEntity
{
    public string Group { get; set; } = "";

    public string Tag { get; set; } = "";

    public int Position { get; set; }

    public string Json { get; set; } = "";
}

/// <summary>A published snapshot of a group: every committed write adds one, numbered per group.</summary>
internal sealed class ConfigVersionEntity
{
    public string Group { get; set; } = "";

    public long Version { get; set; }

    public string Checksum { get; set; } = "";

    /// <summary>The snapshot's <c>GatewayConfig</c> in compact <c>ConfigSerializer</c> JSON.</summary>
    public string Snapshot { get; set; } = "";

    public string Actor { get; set; } = "";

    public DateTimeOffset CreatedAt { get; set; }

    public string Summary { get; set; } = "";

    /// <summary>
    /// True for a gray snapshot, served only to the nodes its <see cref="GrayConfigEntity"/> lists. It shares the group's
    /// version numbers (so it is newer than what those nodes ran) but is never the group's "latest" normal version.
    /// </summary>
    public bool Gray { get; set; }
}

/// <summary>The active gray config of a group (at most one): the gray version row and the gateway node ids it is for.</summary>
internal sealed class GrayConfigEntity
{
    public string Group { get; set; } = "";

    /// <summary>The <see cref="ConfigVersionEntity"/> (flagged gray) holding the snapshot.</summary>
    public long Version { get; set; }

    /// <summary>The gateway node ids, as a JSON array of strings.</summary>
    public string NodesJson { get; set; } = "[]";

    public DateTimeOffset CreatedAt { get; set; }
}

/// <summary>A gateway node as last reported by its heartbeat.</summary>
internal sealed class GatewayNodeEntity
{
    public string Group { get; set; } = "";

    public string Id { get; set; } = "";

    public string? Loc { get; set; }

    public string? ControlAddress { get; set; }

    public long Version { get; set; }

    public string? Checksum { get; set; }

    public DateTimeOffset LastSeen { get; set; }
}

/// <summary>An admin API token, stored only as its SHA-256 hash.</summary>
internal sealed class AdminTokenEntity
{
    /// <summary>Lower-case hex SHA-256 of the token's UTF-8 bytes.</summary>
    public string Hash { get; set; } = "";

    public DateTimeOffset CreatedAt { get; set; }
}

/// <summary>One admin write as the audit log keeps it; written in the same transaction as the change it describes.</summary>
internal sealed class AuditEntryEntity
{
    /// <summary>Generated, increasing; orders the log (newest first) without comparing timestamps.</summary>
    public long Id { get; set; }

    public string Group { get; set; } = "";

    /// <summary>Who made the change; <c>admin</c> until users and roles exist.</summary>
    public string Actor { get; set; } = "";

    public DateTimeOffset CreatedAt { get; set; }

    /// <summary>What was done, e.g. <c>service.create</c>, <c>node.offline</c>, <c>rollback</c>.</summary>
    public string Action { get; set; } = "";

    /// <summary>Kind of the changed entry: <c>group</c>, <c>service</c>, <c>originMapping</c>, <c>serviceSet</c>, <c>globalPolicy</c>.</summary>
    public string EntityKind { get; set; } = "";

    public string EntityId { get; set; } = "";

    /// <summary>The entry's <c>ConfigSerializer</c> JSON before the change; null when it did not exist.</summary>
    public string? Before { get; set; }

    /// <summary>The entry's <c>ConfigSerializer</c> JSON after the change; null when it no longer exists.</summary>
    public string? After { get; set; }

    /// <summary>The group version the change published; null for a group deletion, which publishes none.</summary>
    public long? Version { get; set; }

    /// <summary>For a rollback, the version whose config was restored.</summary>
    public long? SourceVersion { get; set; }

    public string Summary { get; set; } = "";
}

/// <summary>
/// The registry's lease on one SDK-registered node: heartbeats move <see cref="ExpiresAtMs"/> here, never the config,
/// so a heartbeat writes one row and publishes nothing. Kept in the store (not in memory) so admins sharing a
/// database see each other's heartbeats and any of them can sweep.
/// </summary>
internal sealed class RegistryLeaseEntity
{
    public string Group { get; set; } = "";

    public string Service { get; set; } = "";

    /// <summary>The node's id in the service's config: <c>host:port</c>.</summary>
    public string NodeId { get; set; } = "";

    /// <summary><see cref="RegistryLeaseStates"/>.</summary>
    public string State { get; set; } = RegistryLeaseStates.Live;

    /// <summary>Unix milliseconds after which a live lease has expired (last heartbeat + TTL).</summary>
    public long ExpiresAtMs { get; set; }

    /// <summary>Unix milliseconds when the sweeper marked it expired; the grace period counts from here.</summary>
    public long? ExpiredAtMs { get; set; }
}

/// <summary>States of a <see cref="RegistryLeaseEntity"/>.</summary>
internal static class RegistryLeaseStates
{
    /// <summary>Heartbeats arrive; the node is in the config and routable (unless an operator took it offline).</summary>
    public const string Live = "live";

    /// <summary>Missed heartbeats past the TTL; the node is in the config, marked expired, and gets no traffic.</summary>
    public const string Expired = "expired";

    /// <summary>
    /// The node left the config (deregistered or expired past the grace period) while an operator had it offline;
    /// the row remembers that, so the node comes back offline when it registers again.
    /// </summary>
    public const string HeldOffline = "heldOffline";
}
