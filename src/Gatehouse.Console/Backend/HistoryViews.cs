using System.Text.Json;

namespace Gatehouse.Console.Backend;

/// <summary>One published version as <c>GET /api/v1/groups/{group}/versions</c> lists it.</summary>
public sealed record VersionSummaryView(long Version, string Checksum, string Actor, DateTimeOffset CreatedAt, string Summary, bool Gray = false);

/// <summary>One change of a diff: the entry (named as validation errors name it), how it changed, its JSON on each side.</summary>
public sealed record DiffEntryView(string Entry, string Change, JsonElement? Before, JsonElement? After);

/// <summary>The answer of <c>GET /api/v1/groups/{group}/versions/{from}/diff/{to}</c>.</summary>
public sealed record VersionDiffView(string Group, long From, long To, string FromChecksum, string ToChecksum, IReadOnlyList<DiffEntryView> Changes);

/// <summary>One row of the audit log (<c>GET /api/v1/audit</c>).</summary>
public sealed record AuditEntryView(long Id, DateTimeOffset CreatedAt, string Actor, string Group, string Action, string EntityKind,
    string EntityId, long? Version, long? SourceVersion, string Summary);

/// <summary>The active gray config of a group (<c>GET /api/v1/groups/{group}/gray</c>), without its snapshot.</summary>
public sealed record GrayConfigView(IReadOnlyList<string> Nodes, long Version, string Checksum, DateTimeOffset CreatedAt);

/// <summary>The answer of <c>POST /api/v1/groups/{group}/gray/preview</c>: what the proposed config changes against version <c>From</c>.</summary>
public sealed record GrayPreviewView(string Group, long From, string FromChecksum, IReadOnlyList<string> Nodes, IReadOnlyList<DiffEntryView> Changes);

/// <summary>A gateway node as <c>GET /api/v1/groups/{group}/gateways</c> lists it, the fields the gray page needs.</summary>
public sealed record GrayGatewayView(string NodeId, string? Loc, long Version, DateTimeOffset LastSeen, bool Current, bool Live = true);
