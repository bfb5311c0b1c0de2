using Gatehouse.Core.Config;
using Gatehouse.Gateway.Http;

namespace Gatehouse.Gateway.Explain;

/// <summary>The answer of <c>POST /control/explain</c>; serialised as camel-case JSON with nulls left out (docs/admin-api.md, "Explain").</summary>
internal sealed class RouteExplanation
{
    public required GatewayIdentity Gateway { get; init; }

    /// <summary>The config version the explanation was computed against.</summary>
    public long Version { get; init; }

    public required ExplainedRequest Request { get; init; }

    /// <summary><c>forward</c>, or the error code the request would get (<c>service_not_found</c>, <c>api_not_found</c>, <c>no_available_node</c>).</summary>
    public string Outcome { get; set; } = "";

    /// <summary>The status the gateway would answer with itself; null when it forwards.</summary>
    public int? Status { get; set; }

    public string? Detail { get; set; }

    public ExplainedResolution Resolution { get; set; } = new();

    public MatchedApi? Api { get; set; }

    public ExplainedRouting? Routing { get; set; }

    public IReadOnlyList<ExplainedFilter>? Filters { get; set; }

    public ExplainedTimeouts? Timeouts { get; set; }

    public ExplainedRetry? Retry { get; set; }

    public ExplainedBreaker? CircuitBreaker { get; set; }

    public RouteExplanation Fail(GatewayError error, string detail)
    {
        Outcome = GatewayErrors.Code(error);
        Status = GatewayErrors.Status(error);
        Detail = detail;
        return this;
    }
}

internal sealed record GatewayIdentity(string NodeId, string Group, string? Loc);

internal sealed record ExplainedRequest(string Method, string Path, string? Query, string? Host, string? ClientIp);

/// <summary>How the service was found.</summary>
internal sealed class ExplainedResolution
{
    /// <summary><c>header</c>, <c>query</c>, <c>domainPrefix</c>, <c>pathPrefix</c> or <c>scTag</c>; null when no resolver applied.</summary>
    public string? By { get; set; }

    /// <summary>What the deciding resolver read: the header or query value, the host label, the path prefix, the tag.</summary>
    public string? Value { get; set; }

    public bool? StripPrefix { get; set; }

    public int StripLength { get; set; }

    /// <summary>The path APIs are matched against (after a stripped prefix); also what is forwarded.</summary>
    public string? MatchPath { get; set; }

    /// <summary>The service that serves the request.</summary>
    public string? Service { get; set; }

    /// <summary>A service set's members in the order they are tried.</summary>
    public IReadOnlyList<string>? ServiceSet { get; set; }

    /// <summary>A service set's members actually tried, each with the API it matched (null: none).</summary>
    public IReadOnlyList<TriedService>? ServicesTried { get; set; }

    /// <summary>Every resolver that ran, in order, with its verdict.</summary>
    public List<ResolverStep> Resolvers { get; } = [];
}

internal sealed record ResolverStep(string Resolver, string Result, string? Detail);

internal sealed record TriedService(string Service, string? Api);

internal sealed record MatchedApi(string Service, string Id, string Path, string Tier, IReadOnlyList<string>? Methods);

/// <summary>The node sets a request may get and every node of the service with its verdict.</summary>
internal sealed class ExplainedRouting
{
    public required bool GrayRouting { get; init; }

    public required bool NearestRouting { get; init; }

    public string? LocalLoc { get; init; }

    public string? ActiveVersion { get; init; }

    /// <summary>The gray header's value and whether it selected a gray node set.</summary>
    public ExplainedGray? Gray { get; init; }

    public ExplainedCanary? Canary { get; init; }

    public required IReadOnlyList<ExplainedNodeSet> Sets { get; init; }

    public required IReadOnlyList<ExplainedNode> Nodes { get; init; }

    /// <summary>Why the set is empty, when routing knows a cause beyond the nodes' verdicts (blue-green with no node of the version).</summary>
    public string? EmptyDetail { get; init; }
}

internal sealed record ExplainedGray(string Header, string? Value, bool Selected, string Detail);

internal sealed record ExplainedCanary(string? Gray, string? Version, double Percent, double EffectivePercent, bool Sticky, int? Bucket,
    string Side, string Detail);

/// <summary>One node set with its share of requests and its balancer.</summary>
internal sealed record ExplainedNodeSet(string Side, double Share, IReadOnlyList<string> Nodes, ExplainedBalancer? Balancer);

internal sealed record ExplainedBalancer(string Kind, string? Pick, string Detail, HashKeyView? HashKey, IReadOnlyList<NodeWeight>? Weights);

internal sealed record HashKeyView(string Source, string? Name, string? Value, bool FellBackToClientIp);

internal sealed record NodeWeight(string Node, int Weight, double Share, int? InFlight);

internal sealed record ExplainedNode(string Id, string Address, int Weight, int EffectiveWeight, string? Loc, string? Version,
    IReadOnlyList<string> Gray, bool Online, bool Healthy, int InFlight, string Side, bool Included, string? Reason, string? Detail);

/// <summary>An inbound filter that runs, in order, with the effective policy members that configure it.</summary>
internal sealed record ExplainedFilter(string Name, string Stage, IReadOnlyList<EffectivePolicyMember> Settings);

internal sealed record ExplainedTimeouts(double ConnectMs, double ResponseHeadersMs, double IdleMs, double? RequestMs);

internal sealed record ExplainedRetry(int MaxAttempts, bool MayRetry, string Detail, bool OnConnectFailure, bool OnResponseHeadersTimeout,
    IReadOnlyList<int> OnStatuses, bool Retryable, double BudgetPercent, int MinRetriesPerSecond);

internal sealed record ExplainedBreaker(string Scope, double FailureRatio, double SlowCallRatio, double SlowCallMs, int MinimumThroughput,
    double WindowMs, double OpenMs, int HalfOpenProbes, IReadOnlyList<int> FailureStatuses, IReadOnlyList<BreakerStateView> States);

internal sealed record BreakerStateView(string? Node, string State);
