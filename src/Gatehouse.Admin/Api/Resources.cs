using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using Gatehouse.Admin.Publishing;
using Gatehouse.Core.Config;

namespace Gatehouse.Admin.Api;

/// <summary>One page of a list: the items from <c>offset</c>, at most <c>limit</c>, and how many there are in all.</summary>
internal sealed record Page<T>(IReadOnlyList<T> Items, int Total);

/// <summary>A gateway group: its settings revision and the version it currently publishes.</summary>
internal sealed record GroupResource(string Name, long Revision, long Version, DateTimeOffset CreatedAt);

/// <summary>Body of <c>POST /api/v1/groups</c>.</summary>
internal sealed record CreateGroupRequest(string? Name);

/// <summary>A service with the revision an update must quote.</summary>
internal sealed record ServiceResource(string Name, long Revision, ServiceConfig Service);

/// <summary>
/// A service as a list shows it (<c>?view=summary</c>): its nodes, those that take traffic (online and not expired in the
/// registry), its APIs, its own balancer, blue-green version and canary.
/// </summary>
internal sealed record ServiceSummaryResource(string Name, long Revision, int Nodes, int NodesTakingTraffic, int Apis,
    LoadBalancerKind? LoadBalancer, string? ActiveVersion, CanaryConfig? Canary);

/// <summary>An origin mapping under its generated id.</summary>
internal sealed record OriginMappingResource(string Id, OriginMappingConfig Mapping);

/// <summary>A service set under its tag.</summary>
internal sealed record ServiceSetResource(string Tag, ServiceSetConfig Set);

/// <summary>The group's global policy (null when unset) with the group revision an update must quote.</summary>
internal sealed record GlobalPolicyResource(long Revision, PolicyConfig? Policy);

/// <summary>One published version of a group, without its snapshot; <c>gray</c> for a gray config's version.</summary>
internal sealed record VersionSummary(long Version, string Checksum, string Actor, DateTimeOffset CreatedAt, string Summary, bool Gray = false);

/// <summary>
/// Body of <c>POST /api/v1/groups/{group}/gray</c>; the endpoint reads it by hand so a bad field is named in the 400.
/// <c>Force</c> accepts node ids no gateway of the group has reported yet.
/// </summary>
internal sealed record GrayConfigRequest(IReadOnlyList<string> Nodes, GatewayConfig Config, bool? Force = null);

/// <summary>The active gray config of a group: the node ids it is served to and its snapshot.</summary>
internal sealed record GrayConfigResource(IReadOnlyList<string> Nodes, long Version, string Checksum, DateTimeOffset CreatedAt, JsonNode Config);

/// <summary>
/// What a would-be gray config changes: <c>changes</c> turn the group's current normal version <c>from</c> into it, for
/// the listed <c>nodes</c>.
/// </summary>
internal sealed record GrayPreview(string Group, long From, string FromChecksum, IReadOnlyList<string> Nodes, IReadOnlyList<DiffEntry> Changes);

/// <summary>The snapshot document of docs/sync-protocol.md: <c>config</c> is the <c>ConfigSerializer</c> JSON as stored.</summary>
internal sealed record SnapshotDocument(string Group, long Version, string Checksum, JsonNode Config);

/// <summary>Body of <c>POST /api/v1/gateway/heartbeat</c>, as docs/sync-protocol.md defines it.</summary>
internal sealed record HeartbeatRequest(string? NodeId, string? Group, string? Loc, string? ControlAddress, long Version, string? Checksum,
    Monitoring.StatsReport? Stats = null, IReadOnlyList<Monitoring.UnhealthyNodeReport>? Unhealthy = null,
    IReadOnlyList<Monitoring.PluginProblemReport>? Plugins = null);

/// <summary>
/// The health of a service's nodes as the group's live gateways report it: the gateways that reported, and per node each
/// one's word (<c>healthy</c>, <c>unhealthy</c>, <c>ejected</c>).
/// </summary>
internal sealed record ServiceHealthResource(string Service, IReadOnlyList<string> Gateways, IReadOnlyList<NodeHealthResource> Nodes);

/// <summary>One node's health per reporting gateway.</summary>
internal sealed record NodeHealthResource(string NodeId, int HealthyOn, IReadOnlyList<GatewayHealthWord> Reports);

/// <summary>What one gateway says of one node.</summary>
internal sealed record GatewayHealthWord(string Gateway, string State);

/// <summary>
/// A gateway node of a group as its last heartbeat reported it; <c>current</c> when it applied the version it is served,
/// <c>live</c> when it heartbeated within the live window, <c>lastPush</c> the outcome of this admin's last push to it,
/// <c>plugins</c> the plugin folders it reports failed or removed while named (null: it has no plugins directory).
/// </summary>
internal sealed record GatewayNodeResource(string NodeId, string? Loc, string? ControlAddress, long Version, string? Checksum,
    DateTimeOffset LastSeen, bool Current, bool Live = true, long? Expected = null, Publishing.PushStatus? LastPush = null,
    IReadOnlyList<Monitoring.PluginProblemReport>? Plugins = null);

/// <summary>The answer of a re-push: the node accepted the notice of <c>version</c> and pulls what it lacks.</summary>
internal sealed record PushResult(string NodeId, long Version);

/// <summary>One audit log row; <c>before</c>/<c>after</c> are the changed entry's JSON (null where not applicable).</summary>
internal sealed record AuditEntryResource(
    long Id,
    DateTimeOffset CreatedAt,
    string Actor,
    string Group,
    string Action,
    string EntityKind,
    string EntityId,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.Never)] long? Version,
    long? SourceVersion,
    string Summary,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.Never)] JsonNode? Before,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.Never)] JsonNode? After);

/// <summary>The differences between two versions of a group, in the order: group, global, services, mappings, sets, apps.</summary>
internal sealed record VersionDiff(string Group, long From, long To, string FromChecksum, string ToChecksum, IReadOnlyList<DiffEntry> Changes);
