using Gatehouse.Core.Security;
using Gatehouse.Gateway.Explain;
using Gatehouse.Gateway.Forwarding;
using Gatehouse.Gateway.Hosting;
using Gatehouse.Gateway.Http;
using Gatehouse.Gateway.Model;
using Gatehouse.Gateway.Observability;
using Gatehouse.Gateway.Resolution;
using Gatehouse.Gateway.Routing;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Gatehouse.Gateway.Pipeline;

/// <summary>
/// The request path: snapshot → limits → resolution → matching → routing → balancing → forwarding.
/// </summary>
/// <remarks>
/// The snapshot is read once; everything after that works on immutable, precompiled data, so a config swap
/// never affects a request in flight. No locks, no LINQ, no per-request logging on success.
/// </remarks>
internal sealed partial class GatewayRequestHandler
{
    private readonly SnapshotState _state;
    private readonly ServiceResolverChain _resolvers;
    private readonly HttpForwarder _forwarder;
    private readonly ILogger<GatewayRequestHandler> _logger;
    private readonly string _grayHeader;
    private readonly TimeProvider _time;
    private readonly RequestObserver _observer;
    private readonly DebugTokenCheck _debugTokens;
    private readonly Forwarding.Dubbo.DubboForwarder _dubbo;
    private readonly Forwarding.Tars.TarsForwarder _tars;
    private readonly Grpc.Transcoding.TranscodingForwarder _transcoder;
    private readonly Func<HttpContext, RouteDecision, Task> _pickAndForward;

    public GatewayRequestHandler(SnapshotState state, ServiceResolverChain resolvers, HttpForwarder forwarder,
        IOptions<GatewayOptions> options, ILogger<GatewayRequestHandler> logger, TimeProvider? time = null,
        RequestObserver? observer = null, DebugTokenCheck? debugTokens = null, Forwarding.Dubbo.DubboForwarder? dubbo = null,
        Forwarding.Tars.TarsForwarder? tars = null, Grpc.Transcoding.TranscodingForwarder? transcoder = null)
    {
        _tars = tars ?? new Forwarding.Tars.TarsForwarder(new Gatehouse.Tars.Client.TarsInvoker(),
            Microsoft.Extensions.Logging.Abstractions.NullLogger<Forwarding.Tars.TarsForwarder>.Instance);
        _transcoder = transcoder ?? new Grpc.Transcoding.TranscodingForwarder(
            Microsoft.Extensions.Logging.Abstractions.NullLogger<Grpc.Transcoding.TranscodingForwarder>.Instance);
        _dubbo = dubbo ?? new Forwarding.Dubbo.DubboForwarder(new Gatehouse.Dubbo.Client.DubboInvoker(),
            Microsoft.Extensions.Logging.Abstractions.NullLogger<Forwarding.Dubbo.DubboForwarder>.Instance);
        _time = time ?? TimeProvider.System;
        _debugTokens = debugTokens ?? new DebugTokenCheck(options, _time);
        _observer = observer ?? new RequestObserver(new GatewayMetrics(options.Value.Group));
        _state = state;
        _resolvers = resolvers;
        _forwarder = forwarder;
        _logger = logger;
        _grayHeader = options.Value.Headers.Gray;
        _pickAndForward = PickAndForwardAsync;
    }

    public Task InvokeAsync(HttpContext context)
    {
        // Metrics and tracing wrap the whole request (Observability/RequestObserver).
        var previousActivity = System.Diagnostics.Activity.Current;
        var telemetry = _observer.Begin(context);
        Task handled;
        try
        {
            handled = HandleAsync(context, telemetry);
        }
        catch (Exception ex)
        {
            handled = Task.FromException(ex);
        }

        if (telemetry.Server is not null)
        {
            // The continuations captured the server span as Activity.Current; Kestrel's own context must not keep it.
            System.Diagnostics.Activity.Current = previousActivity;
        }

        return _observer.Complete(context, telemetry, handled);
    }

    private Task HandleAsync(HttpContext context, RequestTelemetry telemetry)
    {
        // :: Step 1: one volatile read; the request finishes on this snapshot whatever happens meanwhile.
        var snapshot = _state.Current;
        if (snapshot is null)
        {
            return ProblemWriter.WriteAsync(context, GatewayError.NoConfig, "No configuration has been loaded; see the gateway log.");
        }

        // One header lookup on every request; a trace exists only for a request with a valid debug token. The header
        // itself is never forwarded (HeaderRules.RequestRewritten).
        DebugRoute? trace = null;
        if (context.Request.Headers.TryGetValue(DebugToken.Header, out var debugToken) && _debugTokens.IsValid(debugToken))
        {
            trace = DebugRoute.Begin(context);
        }

        var decision = Decide(context, snapshot, trace);
        if (decision.Error is { } error)
        {
            return ProblemWriter.WriteAsync(context, error, decision.Detail);
        }

        var api = decision.Api!;
        telemetry.Match(api);
        // :: Step 4: the API's filter chain (built-in mechanisms and plugins) runs, then forwards through the cached
        // delegate; an API without filters goes straight to forwarding.
        return api.Filters.Length == 0
            ? PickAndForwardAsync(context, decision)
            : api.Filters.RunAsync(context, decision, _pickAndForward);
    }

    /// <summary>Steps 2 and 3: which service and API, then which node set. Allocates nothing unless it fails.</summary>
    internal RouteDecision Decide(HttpContext context, ConfigSnapshot snapshot, DebugRoute? trace = null)
    {
        // :: Step 2: which service, then which API.
        var resolution = _resolvers.Resolve(context, snapshot);
        if (!resolution.IsDecided)
        {
            return RouteDecision.Fail(GatewayError.ServiceNotFound);
        }

        if (resolution.UnknownName is { } unknown)
        {
            return RouteDecision.Fail(GatewayError.ServiceNotFound, $"Unknown service or service set '{unknown}'.");
        }

        var matchPath = StrippedPath(context.Request.Path.Value ?? "/", resolution.StripLength);
        var api = MatchApi(resolution, context.Request.Method, matchPath, out var service);
        if (trace is not null)
        {
            trace.Service = service?.Name;
            trace.Api = api?.Id;
        }

        if (api is null)
        {
            return RouteDecision.Fail(GatewayError.ApiNotFound);
        }

        // :: Step 3: the routed node set (precomputed per snapshot); the node is picked after the filters.
        var lane = service!.Lanes[api.LaneIndex];
        var gray = GrayName(context, lane, _grayHeader);

        // Ordinary requests may be split to a canary here; an empty set with a known cause says so in the 503.
        var nodes = lane.Select(context, gray);
        return nodes.EmptyDetail is { } emptyDetail
            ? RouteDecision.Fail(GatewayError.NoAvailableNode, emptyDetail)
            : new RouteDecision(null, null, api, nodes, resolution.StripLength, trace, context.Request.Path.Value);
    }

    /// <summary>
    /// The API a resolved request targets: the service's match, or for a service set the first member with a matching
    /// API. <paramref name="tried"/> (null on real requests) collects each set member tried, for route explanations.
    /// </summary>
    internal static ApiModel? MatchApi(in ServiceResolution resolution, string method, ReadOnlySpan<char> matchPath,
        out ServiceModel? service, List<(ServiceModel Service, ApiModel? Api)>? tried = null)
    {
        service = resolution.Service;
        if (service is not null)
        {
            return service.Matcher.Match(method, matchPath);
        }

        // A service set: the first service with a matching API serves the request.
        foreach (var candidate in resolution.Candidates!)
        {
            var api = candidate.Matcher.Match(method, matchPath);
            tried?.Add((candidate, api));
            if (api is not null)
            {
                service = candidate;
                return api;
            }
        }

        return null;
    }

    /// <summary>The request's gray header value when the lane reserves node sets for gray names, else null.</summary>
    internal static string? GrayName(HttpContext context, ServiceLane lane, string grayHeader) =>
        lane.HasGrayRoutes && context.Request.Headers.TryGetValue(grayHeader, out var values) && values.Count > 0 ? values[0] : null;

    // :: Step 5: one balancer pick, then forward.
    private Task PickAndForwardAsync(HttpContext context, RouteDecision decision)
    {
        var nodes = decision.Nodes!;
        var node = nodes.Balancer?.Pick(context, null);
        if (node is null)
        {
            return ProblemWriter.WriteAsync(context, GatewayError.NoAvailableNode,
                $"Service '{decision.Api!.ServiceName}' has no node that can take this request.");
        }

        // A filter that rewrote the path (the rewrite plugin) set what the node receives; a mapping's strip no longer applies.
        var upstreamPath = decision.StripLength == 0 || !ReferenceEquals(context.Request.Path.Value, decision.ReceivedPath)
            ? context.Request.Path
            : new PathString(StrippedPath(context.Request.Path.Value!, decision.StripLength).ToString());
        return ForwardAsync(context, decision.Api!, nodes, node, upstreamPath, decision.Trace);
    }

    /// <summary>The path after a stripped mapping prefix; a path that was only the prefix becomes "/".</summary>
    internal static ReadOnlySpan<char> StrippedPath(string path, int stripLength)
    {
        var rest = path.AsSpan(stripLength);
        return rest.IsEmpty ? "/" : rest;
    }
}

/// <summary>Outcome of resolution, matching, routing and balancing for one request.</summary>
/// <param name="Trace">The debug route of a request with a valid debug token; null on every other request.</param>
/// <param name="ReceivedPath">The request's path as matched, to tell whether a filter rewrote it.</param>
internal readonly record struct RouteDecision(GatewayError? Error, string? Detail, ApiModel? Api, NodeSet? Nodes, int StripLength,
    DebugRoute? Trace = null, string? ReceivedPath = null)
{
    public static RouteDecision Fail(GatewayError error, string? detail = null) => new(error, detail, null, null, 0);
}
