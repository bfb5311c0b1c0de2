using System.Diagnostics;
using Gatehouse.Gateway.Forwarding;
using Gatehouse.Gateway.Http;
using Gatehouse.Gateway.Model;
using Microsoft.AspNetCore.Http;

namespace Gatehouse.Gateway.Observability;

/// <summary>
/// What the gateway knows about one request for metrics, traces and the access log: when it started, which
/// API's cells it counts into, its trace context, the node of the last upstream attempt. Set as an
/// <see cref="HttpContext"/> feature by <see cref="RequestObserver.Begin"/> for the whole request.
/// </summary>
/// <remarks>
/// Every request has a trace id, sampled or not: the client's (from a valid <c>traceparent</c>) or a fresh random
/// one. Error bodies quote it, and the upstream <c>traceparent</c> carries it.
/// </remarks>
public sealed class RequestTelemetry
{
    internal RequestTelemetry(long startTimestamp, ApiMetrics cells, ulong traceHigh, ulong traceLow, byte flags, Activity? server)
    {
        StartTimestamp = startTimestamp;
        Cells = cells;
        TraceHigh = traceHigh;
        TraceLow = traceLow;
        Flags = flags;
        Server = server;
    }

    /// <summary><see cref="Stopwatch.GetTimestamp"/> when the gateway's handler took the request.</summary>
    public long StartTimestamp { get; }

    /// <summary>The trace this request belongs to (always set; allocates, kept as two numbers until asked for).</summary>
    public ActivityTraceId TraceId => ActivityTraceId.CreateFromString(TraceIdHex);

    /// <summary>Flags passed on in the upstream <c>traceparent</c>.</summary>
    public ActivityTraceFlags TraceFlags => (ActivityTraceFlags)Flags;

    internal ulong TraceHigh { get; }

    internal ulong TraceLow { get; }

    internal byte Flags { get; }

    /// <summary>The server span; null when no listener sampled this request.</summary>
    public Activity? Server { get; }

    /// <summary>The matched API; null until matching succeeded (and for unmatched requests).</summary>
    public ApiModel? Api { get; private set; }

    /// <summary>The node of the latest upstream attempt; null if the request was never forwarded.</summary>
    public NodeModel? Node { get; internal set; }

    /// <summary>Upstream attempts made (more than one after a retry).</summary>
    public int Attempts { get; internal set; }

    /// <summary>
    /// The status the node of the latest attempt answered with; 0 when no node answered (unreachable, timed out, or
    /// the gateway answered itself). Differs from the response status when the gateway replaced the node's answer.
    /// </summary>
    public int UpstreamStatus { get; internal set; }

    /// <summary>The <c>grpc-status</c> the node ended a gRPC call with (trailers, or headers of a trailers-only response); -1 if none.</summary>
    public int GrpcStatusCode { get; internal set; } = GrpcStatus.None;

    /// <summary>Total time of the upstream attempts, in Stopwatch ticks.</summary>
    public long UpstreamTicks { get; internal set; }

    /// <summary>The cells this request counts into: the API's once matched, else the unmatched cells.</summary>
    internal ApiMetrics Cells { get; private set; }

    /// <summary>The <c>traceparent</c> of the attempt in progress, written by the request header copier.</summary>
    internal string? UpstreamTraceparent { get; set; }

    /// <summary>Request body bytes streamed upstream (all attempts); for the access log.</summary>
    internal long RequestBytes { get; private set; }

    /// <summary>Response body bytes relayed from upstream; for the access log.</summary>
    internal long ResponseBytes { get; private set; }

    /// <summary>The error the gateway answered itself (problem JSON), if any.</summary>
    internal GatewayError? Error { get; private set; }

    /// <summary>The failure of the latest upstream attempt; <see cref="ForwarderError.None"/> if it succeeded or none was made.</summary>
    internal ForwarderError UpstreamError { get; set; }

    /// <summary>The trace id as 32 lower-case hex digits (allocates; for error bodies and logs).</summary>
    public string TraceIdHex => GatewayTracing.FormatTraceId(TraceHigh, TraceLow);

    /// <summary>Counts request body bytes for the API and for this request.</summary>
    internal void AddRequestBytes(long bytes)
    {
        RequestBytes += bytes;
        Cells.AddRequestBytes(bytes);
    }

    /// <summary>Counts response body bytes for the API and for this request.</summary>
    internal void AddResponseBytes(long bytes)
    {
        ResponseBytes += bytes;
        Cells.AddResponseBytes(bytes);
    }

    /// <summary>Counts an error the gateway answered itself, for the API and for this request's access log line.</summary>
    internal void RecordGatewayError(GatewayError error)
    {
        Error = error;
        Cells.RecordGatewayError(error);
    }

    /// <summary>Switches counting to the matched API's cells and counts the request in flight there.</summary>
    internal void Match(ApiModel api)
    {
        Api = api;
        Cells = api.Metrics;
        Cells.EnterRequest();
    }
}
