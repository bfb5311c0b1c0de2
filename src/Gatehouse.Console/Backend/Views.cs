using Gatehouse.Core.Config;

namespace Gatehouse.Console.Backend;

/// <summary>A group as <c>GET /api/v1/groups</c> lists it.</summary>
public sealed record GroupView(string Name, long Revision, long Version, DateTimeOffset CreatedAt);

/// <summary>One page of a list resource.</summary>
public sealed record PageView<T>(IReadOnlyList<T> Items, int Total);

/// <summary>A service with the revision a write quotes.</summary>
public sealed record ServiceView(string Name, long Revision, ServiceConfig Service);

/// <summary>
/// A gateway node of a group as <c>GET .../gateways</c> lists it; <c>Plugins</c> is null when the gateway has no plugins
/// directory, else the plugin folders it reports in trouble (empty when all loaded).
/// </summary>
public sealed record GatewayView(string NodeId, string? Loc, string? ControlAddress, long Version, string? Checksum, DateTimeOffset LastSeen,
    bool Current, bool Live, long? Expected, PushView? LastPush, IReadOnlyList<PluginProblemView>? Plugins = null);

/// <summary>The admin's last push to a gateway.</summary>
public sealed record PushView(long Version, DateTimeOffset At, string? Error);

/// <summary>The answer of a re-push.</summary>
public sealed record PushResultView(string NodeId, long Version);

/// <summary>The effective policy of one API as the admin computes it.</summary>
public sealed record ApiPolicyView(string? Group, long Version, string Service, string Api, string? ActiveVersion,
    IReadOnlyList<Gatehouse.Core.Config.EffectivePolicyMember> Members);

/// <summary>A service as <c>GET .../services?view=summary</c> lists it.</summary>
public sealed record ServiceSummaryView(string Name, long Revision, int Nodes, int NodesTakingTraffic, int Apis,
    Gatehouse.Core.Config.LoadBalancerKind? LoadBalancer, string? ActiveVersion, Gatehouse.Core.Config.CanaryConfig? Canary);

/// <summary>A service's nodes' health as the group's live gateways report it.</summary>
public sealed record ServiceHealthView(string Service, IReadOnlyList<string> Gateways, IReadOnlyList<NodeHealthView> Nodes);

/// <summary>One node's health: on how many reporting gateways it is healthy, and each gateway's word.</summary>
public sealed record NodeHealthView(string NodeId, int HealthyOn, IReadOnlyList<GatewayHealthWordView> Reports);

/// <summary>What one gateway says of one node: healthy, unhealthy or ejected.</summary>
public sealed record GatewayHealthWordView(string Gateway, string State);
