using Gatehouse.Gateway.Hosting;
using Gatehouse.Gateway.Http;
using Gatehouse.Gateway.Model;
using Gatehouse.Gateway.Pipeline;
using Gatehouse.Gateway.Resolution;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Options;

namespace Gatehouse.Gateway.Explain;

/// <summary>
/// Answers "where would this request go, and why" for one snapshot: which resolver found the service, which API matched
/// in which tier, every node of the service with the step that left it out, the balancer and its pick where that is
/// deterministic, the filters with their effective settings, timeouts, retries and breakers.
/// </summary>
/// <remarks>
/// Built from the request path's own pieces, so the answer cannot drift from what a request does: the resolvers of
/// <see cref="ServiceResolverChain"/>, <see cref="GatewayRequestHandler.MatchApi"/>, the lane's route table and router
/// pipeline (<see cref="Routing.ServiceLane.Explain"/>), the compiled filters, balancers and resilience of the API.
/// It changes no state: no canary draw, no round-robin or random pick, no rate-limit token, no breaker permit, no
/// retry budget. Only a consistent-hash balancer is asked for its pick, because its pick is a pure function of the key.
/// </remarks>
internal sealed partial class RouteExplainer
{
    private readonly ServiceResolverChain _resolvers;
    private readonly GatewayOptions _options;

    public RouteExplainer(ServiceResolverChain resolvers, IOptions<GatewayOptions> options)
    {
        _resolvers = resolvers;
        _options = options.Value;
    }

    /// <summary>Explains <paramref name="context"/> (built by <see cref="ExplainRequest.ToContext"/>) against <paramref name="snapshot"/>.</summary>
    public RouteExplanation Explain(ConfigSnapshot snapshot, HttpContext context)
    {
        var request = context.Request;
        var result = new RouteExplanation
        {
            Gateway = new GatewayIdentity(_options.NodeId, _options.Group, _options.Loc),
            Version = snapshot.Version,
            Request = new ExplainedRequest(request.Method, request.Path.Value ?? "/", request.QueryString.HasValue ? request.QueryString.Value : null,
                request.Host.HasValue ? request.Host.Value : null, ClientIp.Get(context)?.ToString()),
        };

        // :: Step 2 of the request path: which service.
        var (resolution, steps) = Resolve(context, snapshot);
        result.Resolution = Describe(context, snapshot, resolution, steps);
        if (!resolution.IsDecided)
        {
            return result.Fail(GatewayError.ServiceNotFound, "No resolver found a service for the request: no service header or query " +
                "parameter, no mapped domain or path prefix, no service set tag.");
        }

        if (resolution.UnknownName is { } unknown)
        {
            return result.Fail(GatewayError.ServiceNotFound, $"Unknown service or service set '{unknown}'.");
        }

        // Then which API, with the very function the request path uses.
        var matchPath = GatewayRequestHandler.StrippedPath(request.Path.Value ?? "/", resolution.StripLength).ToString();
        result.Resolution.MatchPath = matchPath;
        var tried = resolution.Candidates is null ? null : new List<(ServiceModel Service, ApiModel? Api)>();
        var api = GatewayRequestHandler.MatchApi(resolution, request.Method, matchPath, out var service, tried);
        if (tried is not null)
        {
            result.Resolution.ServicesTried = tried.ConvertAll(t => new TriedService(t.Service.Name, t.Api?.Id));
        }

        if (api is null)
        {
            var where = service?.Name ?? string.Join(", ", resolution.Candidates!.Select(s => s.Name));
            return result.Fail(GatewayError.ApiNotFound, $"No API of {where} matches {request.Method} {matchPath}.");
        }

        result.Resolution.Service = service!.Name;
        result.Api = new MatchedApi(api.ServiceName, api.Id, api.Path, Tier(api.Kind), api.Methods);

        // :: Step 3: which nodes, and which node.
        var lane = service.Lanes[api.LaneIndex];
        result.Routing = DescribeRouting(context, lane);

        // :: Steps 4 to 6: filters, then the forwarding policy.
        result.Filters = DescribeFilters(snapshot, api);
        result.Timeouts = DescribeTimeouts(api.Policy);
        result.Retry = DescribeRetry(api, request.Method);
        result.CircuitBreaker = DescribeBreaker(api, service);

        if (result.Routing.Sets.All(s => s.Nodes.Count == 0))
        {
            return result.Fail(GatewayError.NoAvailableNode, result.Routing.EmptyDetail
                ?? $"Service '{service.Name}' has no node that can take this request; see routing.nodes for why each is left out.");
        }

        result.Outcome = "forward";
        return result;
    }

    /// <summary>Runs the chain's resolvers in its order and keeps each one's verdict, stopping where the chain stops.</summary>
    private (ServiceResolution Resolution, List<(IServiceResolver Resolver, ServiceResolution Result)> Steps) Resolve(
        HttpContext context, ConfigSnapshot snapshot)
    {
        var steps = new List<(IServiceResolver, ServiceResolution)>();
        foreach (var resolver in _resolvers.Resolvers)
        {
            var result = resolver.Resolve(context, snapshot);
            steps.Add((resolver, result));
            if (result.IsDecided)
            {
                return (result, steps);
            }
        }

        return (ServiceResolution.None, steps);
    }

    private ExplainedResolution Describe(HttpContext context, ConfigSnapshot snapshot, in ServiceResolution resolution,
        List<(IServiceResolver Resolver, ServiceResolution Result)> steps)
    {
        var headers = _options.Headers;
        var request = context.Request;
        var described = new ExplainedResolution();
        foreach (var (resolver, result) in steps)
        {
            var kind = Kind(resolver);
            string verdict;
            string? detail = null;
            if (!result.IsDecided)
            {
                verdict = "not_applicable";
            }
            else
            {
                verdict = result.UnknownName is null ? "found" : "unknown_name";
                described.By = kind;
                switch (resolver)
                {
                    case HeaderServiceResolver:
                        described.Value = request.Headers[headers.ServiceName].ToString();
                        detail = $"header '{headers.ServiceName}: {described.Value}'";
                        break;
                    case QueryServiceResolver:
                        described.Value = request.Query[headers.ServiceName].ToString();
                        detail = $"query parameter '{headers.ServiceName}={described.Value}'";
                        break;
                    case DomainPrefixResolver:
                        var host = request.Host.Host;
                        described.Value = host[..host.IndexOf('.', StringComparison.Ordinal)];
                        detail = $"host '{host}': its first label '{described.Value}' is a mapped domain prefix";
                        break;
                    case PathPrefixResolver:
                        var (prefix, strip) = PathPrefix(snapshot, request.Path.Value ?? "/");
                        described.Value = prefix;
                        described.StripPrefix = strip;
                        detail = strip
                            ? $"path prefix '{prefix}' is mapped with stripPrefix: the API is matched, and the request forwarded, without it"
                            : $"path prefix '{prefix}' is mapped (the prefix is kept)";
                        break;
                    case ServiceSetResolver:
                        described.Value = request.Headers[headers.ScTag].ToString();
                        detail = result.Candidates is { } set
                            ? $"header '{headers.ScTag}: {described.Value}' selects the service set [{string.Join(", ", set.Select(s => s.Name))}]; the first with a matching API serves"
                            : $"header '{headers.ScTag}: {described.Value}' names no service set";
                        break;
                }
            }

            described.Resolvers.Add(new ResolverStep(kind, verdict, detail));
        }

        described.Service = resolution.Service?.Name;
        described.StripLength = resolution.StripLength;
        if (resolution.Candidates is { } candidates)
        {
            described.ServiceSet = candidates.Select(s => s.Name).ToArray();
        }

        return described;
    }

    /// <summary>The mapped prefix <see cref="PathPrefixResolver"/> found: the longest on segment boundaries, as it walks.</summary>
    private static (string Prefix, bool Strip) PathPrefix(ConfigSnapshot snapshot, string path)
    {
        var end = path.Length;
        while (end > 1)
        {
            var candidate = path.AsSpan(0, end).TrimEnd('/');
            if (candidate.Length > 0 && snapshot.PathPrefixes.TryGetValue(candidate.ToString(), out var target))
            {
                return (candidate.ToString(), target.StripPrefix);
            }

            end = candidate.LastIndexOf('/');
        }

        return ("", false);
    }

    /// <summary>The resolver's name in explanations: the values of <c>resolution.by</c>.</summary>
    internal static string Kind(IServiceResolver resolver) => resolver switch
    {
        HeaderServiceResolver => "header",
        QueryServiceResolver => "query",
        DomainPrefixResolver => "domainPrefix",
        PathPrefixResolver => "pathPrefix",
        ServiceSetResolver => "scTag",
        _ => resolver.GetType().Name,
    };

    /// <summary>The matcher tier an API is found in (its resolved kind): exact, template, wildcard, prefix or regex.</summary>
    private static string Tier(Core.Config.MatchKind kind) => kind switch
    {
        Core.Config.MatchKind.Exact => "exact",
        Core.Config.MatchKind.Template => "template",
        Core.Config.MatchKind.Wildcard => "wildcard",
        Core.Config.MatchKind.Prefix => "prefix",
        Core.Config.MatchKind.Regex => "regex",
        _ => kind.ToString().ToLowerInvariant(),
    };
}
