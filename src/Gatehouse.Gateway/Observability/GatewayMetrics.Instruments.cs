using System.Diagnostics.Metrics;
using Gatehouse.Gateway.Forwarding;
using Gatehouse.Gateway.Http;

namespace Gatehouse.Gateway.Observability;

/// <summary>Observable instruments over the cells, for OpenTelemetry readers (evaluated per export, not per request).</summary>
internal sealed partial class GatewayMetrics
{
    internal static readonly string[] StatusClassNames = ["1xx", "2xx", "3xx", "4xx", "5xx"];

    private void CreateObservableInstruments()
    {
        _meter.CreateObservableCounter("gatehouse.requests", ObserveRequests, "{request}",
            "Requests answered, per service, API, status class and status code.");
        _meter.CreateObservableCounter("gatehouse.grpc.requests", ObserveGrpcStatuses, "{request}",
            "gRPC calls relayed, per service, API and final grpc-status.");
        _meter.CreateObservableUpDownCounter("gatehouse.requests.in_flight", () => ObservePerApi(static a => a.InFlight),
            "{request}", "Requests in progress.");
        _meter.CreateObservableCounter("gatehouse.request.body.size", () => ObservePerApi(static a => a.RequestBytes),
            "By", "Request body bytes streamed to upstream nodes.");
        _meter.CreateObservableCounter("gatehouse.response.body.size", () => ObservePerApi(static a => a.ResponseBytes),
            "By", "Response body bytes relayed from upstream nodes.");
        _meter.CreateObservableCounter("gatehouse.retries", () => ObservePerApi(static a => a.Retries),
            "{retry}", "Requests retried on another node.");
        _meter.CreateObservableCounter("gatehouse.rate_limit.rejections", () => ObservePerApi(static a => a.RateLimited),
            "{request}", "Requests refused by a rate limit.");
        _meter.CreateObservableCounter("gatehouse.circuit_breaker.rejections", () => ObservePerApi(static a => a.BreakerRejected),
            "{request}", "Requests refused by an open circuit breaker.");
        _meter.CreateObservableCounter("gatehouse.upstream.errors", ObserveUpstreamErrors, "{error}",
            "Failed upstream attempts, per kind.");
        _meter.CreateObservableCounter("gatehouse.gateway.errors", ObserveGatewayErrors, "{response}",
            "Error responses the gateway answered itself, per code.");
        _meter.CreateObservableCounter("gatehouse.node.requests", () => ObservePerNode(static (n, _) => n.Metrics.Requests),
            "{request}", "Attempts forwarded to each node.");
        _meter.CreateObservableCounter("gatehouse.node.failures", () => ObservePerNode(static (n, _) => n.Metrics.Failures),
            "{request}", "Attempts to each node that failed on the node's side.");
        _meter.CreateObservableGauge("gatehouse.node.healthy", () => ObservePerNode(static (n, _) => n.Healthy ? 1 : 0),
            "1", "1 when the node is healthy, 0 when health checking took it out.");
    }

    private IEnumerable<Measurement<long>> ObserveRequests()
    {
        foreach (var api in AllApis())
        {
            for (var code = ApiMetrics.FirstCode; code < ApiMetrics.FirstCode + ApiMetrics.CodeCount; code++)
            {
                var value = api.RequestsWithCode(code);
                if (value > 0)
                {
                    yield return new Measurement<long>(value, Tag("service", api.Service), Tag("api", api.Api),
                        Tag("status_class", StatusClassNames[ApiMetrics.StatusClassIndex(code)]), Tag("code", StatusCodeLabels.Get(code)));
                }
            }

            if (api.RequestsWithOtherCode is > 0 and var other)
            {
                yield return new Measurement<long>(other, Tag("service", api.Service), Tag("api", api.Api),
                    Tag("status_class", "5xx"), Tag("code", "other"));
            }
        }
    }

    private IEnumerable<Measurement<long>> ObserveGrpcStatuses()
    {
        foreach (var api in AllApis())
        {
            for (var status = 0; status < ApiMetrics.GrpcStatusCount; status++)
            {
                var value = api.GrpcStatuses(status);
                if (value > 0)
                {
                    yield return new Measurement<long>(value, Tag("service", api.Service), Tag("api", api.Api),
                        Tag("grpc_code", GrpcStatus.Name(status)));
                }
            }
        }
    }

    private IEnumerable<Measurement<long>> ObservePerApi(Func<ApiMetrics, long> read)
    {
        foreach (var api in AllApis())
        {
            yield return new Measurement<long>(read(api), Tag("service", api.Service), Tag("api", api.Api));
        }
    }

    private IEnumerable<Measurement<long>> ObserveUpstreamErrors()
    {
        foreach (var api in AllApis())
        {
            for (var e = 1; e < ApiMetrics.ForwarderErrorCount; e++)
            {
                var value = api.UpstreamErrors((ForwarderError)e);
                if (value > 0)
                {
                    yield return new Measurement<long>(value, Tag("service", api.Service), Tag("api", api.Api),
                        Tag("kind", MetricNames.ForwarderErrorKind((ForwarderError)e)));
                }
            }
        }
    }

    private IEnumerable<Measurement<long>> ObserveGatewayErrors()
    {
        foreach (var api in AllApis())
        {
            for (var e = 0; e < ApiMetrics.GatewayErrorCount; e++)
            {
                var value = api.GatewayErrors(e);
                if (value > 0)
                {
                    yield return new Measurement<long>(value, Tag("service", api.Service), Tag("api", api.Api),
                        Tag("code", GatewayErrors.Code((GatewayError)e)));
                }
            }
        }
    }

    private IEnumerable<Measurement<long>> ObservePerNode(Func<Model.NodeState, Model.NodeModel, long> read)
    {
        var snapshot = _state?.Current;
        if (snapshot is null)
        {
            yield break;
        }

        foreach (var service in snapshot.Services.Values)
        {
            foreach (var node in service.Nodes)
            {
                yield return new Measurement<long>(read(node.State, node), Tag("service", service.Name.ToLowerInvariant()),
                    Tag("node", node.Id));
            }
        }
    }

    /// <summary>The unmatched cells first, then every API's.</summary>
    internal IEnumerable<ApiMetrics> AllApis()
    {
        yield return Unmatched;
        foreach (var api in _apis.Values)
        {
            yield return api;
        }
    }

    private static KeyValuePair<string, object?> Tag(string name, object? value) => new(name, value);
}
