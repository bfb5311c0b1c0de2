using System.Diagnostics;
using Gatehouse.Gateway.Forwarding;
using Gatehouse.Gateway.Http;
using Gatehouse.Gateway.Model;
using Gatehouse.Gateway.Observability.AccessLog;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;

namespace Gatehouse.Gateway.Observability;

/// <summary>
/// The request handler's two hooks into metrics and tracing: around the whole request
/// (<see cref="Begin"/>/<see cref="Complete"/>) and around each upstream attempt
/// (<see cref="BeginAttempt"/>/<see cref="EndAttempt"/>). Recording is interlocked adds on precomputed cells;
/// spans and synchronous histograms cost nothing beyond a flag check unless a listener is attached.
/// </summary>
internal sealed class RequestObserver
{
    private readonly GatewayMetrics _metrics;
    private readonly AccessLogWriter? _accessLog;

    /// <param name="metrics">The cells and meter.</param>
    /// <param name="accessLog">The access log; null or disabled writes none.</param>
    public RequestObserver(GatewayMetrics metrics, AccessLogWriter? accessLog = null)
    {
        _metrics = metrics;
        _accessLog = accessLog is { IsEnabled: true } ? accessLog : null;
    }

    public GatewayMetrics Metrics => _metrics;

    /// <summary>Starts the request's clock and trace, and sets the <see cref="RequestTelemetry"/> feature.</summary>
    public RequestTelemetry Begin(HttpContext context)
    {
        var start = Stopwatch.GetTimestamp();
        var headers = context.Request.Headers;
        var hasParent = GatewayTracing.TryReadParent(headers, out var parent);
        Activity? server = null;
        if (GatewayTracing.Source.HasListeners())
        {
            // Only a listener needs the BCL's ActivityContext (with tracestate); it allocates the id strings.
            var parentContext = default(ActivityContext);
            if (hasParent)
            {
                var tracestate = headers[GatewayTracing.TraceStateHeader];
                ActivityContext.TryParse(headers[GatewayTracing.TraceParentHeader].ToString(),
                    tracestate.Count == 0 ? null : tracestate.ToString(), isRemote: true, out parentContext);
            }

            server = GatewayTracing.Source.StartActivity(GatewayTracing.ServerSpanName, ActivityKind.Server, parentContext);
        }

        RequestTelemetry telemetry;
        if (server is not null)
        {
            var (high, low) = GatewayTracing.Split(server.TraceId);
            telemetry = new RequestTelemetry(start, _metrics.Unmatched, high, low, (byte)server.ActivityTraceFlags, server);
            if (server.IsAllDataRequested)
            {
                server.SetTag("http.request.method", context.Request.Method);
                server.SetTag("url.path", context.Request.Path.Value);
                server.SetTag("gatehouse.group", _metrics.Group);
            }
        }
        else
        {
            telemetry = hasParent
                ? new RequestTelemetry(start, _metrics.Unmatched, parent.TraceHigh, parent.TraceLow, parent.Flags, null)
                : new RequestTelemetry(start, _metrics.Unmatched, GatewayTracing.NewId(), GatewayTracing.NewId(), 0, null);
        }

        context.Features.Set(telemetry);
        return telemetry;
    }

    /// <summary>
    /// Counts the request once <paramref name="handled"/> (the handler's task) completes and ends its span.
    /// Completes synchronously when the handler did.
    /// </summary>
    public Task Complete(HttpContext context, RequestTelemetry telemetry, Task handled)
    {
        if (handled.IsCompletedSuccessfully)
        {
            Record(context, telemetry, faulted: false);
            return Task.CompletedTask;
        }

        return AwaitAndRecordAsync(context, telemetry, handled);
    }

    private async Task AwaitAndRecordAsync(HttpContext context, RequestTelemetry telemetry, Task handled)
    {
        try
        {
            await handled;
        }
        catch
        {
            // Kestrel answers 500 (or resets) for an unhandled exception; count it as such, then let it propagate.
            Record(context, telemetry, faulted: true);
            throw;
        }

        Record(context, telemetry, faulted: false);
    }

    private void Record(HttpContext context, RequestTelemetry telemetry, bool faulted)
    {
        var elapsed = Stopwatch.GetTimestamp() - telemetry.StartTimestamp;
        var status = faulted ? StatusCodes.Status500InternalServerError : context.Response.StatusCode;
        var cells = telemetry.Cells;
        cells.CompleteRequest(status, elapsed, entered: telemetry.Api is not null);
        if (telemetry.GrpcStatusCode != GrpcStatus.None)
        {
            cells.RecordGrpcStatus(telemetry.GrpcStatusCode);
        }

        var duration = _metrics.ServerDuration;
        if (duration.Enabled)
        {
            duration.Record((double)elapsed / Stopwatch.Frequency,
                new KeyValuePair<string, object?>("service", cells.Service),
                new KeyValuePair<string, object?>("api", cells.Api),
                new KeyValuePair<string, object?>("status_class", GatewayMetrics.StatusClassNames[ApiMetrics.StatusClassIndex(status)]));
        }

        if (telemetry.Server is { } server)
        {
            if (server.IsAllDataRequested)
            {
                server.SetTag("gatehouse.service", cells.Service);
                server.SetTag("gatehouse.api", cells.Api);
                server.SetTag("gatehouse.node", telemetry.Node?.Id);
                server.SetTag("http.response.status_code", status);
                if (status >= 500)
                {
                    server.SetStatus(ActivityStatusCode.Error);
                }
            }

            server.Stop();
        }

        if (_accessLog is { } accessLog)
        {
            EnqueueAccessLog(accessLog, context, telemetry, status, elapsed, faulted);
        }
    }

    /// <summary>
    /// Copies what the access log line needs into one queue slot: references the request already holds and a few
    /// numbers; the JSON is made on the writer thread. A full queue drops the entry (counted), never waits.
    /// </summary>
    private void EnqueueAccessLog(AccessLogWriter accessLog, HttpContext context, RequestTelemetry telemetry, int status, long elapsed, bool faulted)
    {
        var request = context.Request;
        var response = context.Response;

        // The id the response carries (resolved by the forwarder or the problem writer), else the client's.
        var requestId = response.Headers[HeaderRules.RequestId];
        if (requestId.Count == 0)
        {
            requestId = request.Headers[HeaderRules.RequestId];
        }

        var target = context.Features.Get<IHttpRequestFeature>()?.RawTarget;
        if (string.IsNullOrEmpty(target))
        {
            target = request.Path.Value ?? "/";
        }

        var bytesOut = telemetry.ResponseBytes;
        if (bytesOut == 0 && telemetry.Error is not null && !HttpMethods.IsHead(request.Method))
        {
            bytesOut = response.ContentLength ?? 0; // A problem body the gateway wrote itself.
        }

        string? error = null;
        if (telemetry.Error is { } gatewayError)
        {
            error = GatewayErrors.Code(gatewayError);
        }
        else if (telemetry.UpstreamError != ForwarderError.None)
        {
            error = MetricNames.ForwarderErrorKind(telemetry.UpstreamError);
        }
        else if (faulted)
        {
            error = "internal_error";
        }

        var api = telemetry.Api;
        accessLog.TryEnqueue(new AccessLogEntry
        {
            StartTimestamp = telemetry.StartTimestamp,
            RequestId = requestId.Count == 0 ? null : requestId.ToString(),
            TraceHigh = telemetry.TraceHigh,
            TraceLow = telemetry.TraceLow,
            ClientIp = context.Connection.RemoteIpAddress,
            Method = request.Method,
            Target = target,
            Service = api?.ServiceName,
            Api = api?.Id,
            Node = telemetry.Node?.Id,
            Status = status,
            UpstreamStatus = telemetry.UpstreamStatus,
            GrpcStatus = telemetry.GrpcStatusCode == GrpcStatus.None ? null : telemetry.GrpcStatusCode,
            Protocol = request.Protocol,
            Host = request.Headers.Host.Count == 0 ? null : request.Headers.Host.ToString(),
            UserAgent = request.Headers.UserAgent.Count == 0 ? null : request.Headers.UserAgent.ToString(),
            BytesIn = telemetry.RequestBytes,
            BytesOut = bytesOut,
            TotalTicks = elapsed,
            UpstreamTicks = telemetry.UpstreamTicks,
            Error = error,
        });
    }

    /// <summary>
    /// Starts one upstream attempt: the client span (when sampled) and the <c>traceparent</c> the node gets, which
    /// is the client span's, or else the request's trace id with a fresh parent id.
    /// </summary>
    public AttemptScope BeginAttempt(HttpContext context, NodeModel node)
    {
        var telemetry = context.Features.Get<RequestTelemetry>();
        if (telemetry is null)
        {
            // The forwarder driven on its own (tests): it passes the client's traceparent through.
            return new AttemptScope(null, null, Stopwatch.GetTimestamp());
        }

        telemetry.Node = node;
        telemetry.Attempts++;
        telemetry.UpstreamStatus = 0;
        telemetry.GrpcStatusCode = GrpcStatus.None;
        Activity? client = null;
        if (telemetry.Server is { } server)
        {
            client = GatewayTracing.Source.StartActivity(GatewayTracing.ClientSpanName, ActivityKind.Client, server.Context);
        }

        if (client is not null)
        {
            if (client.IsAllDataRequested)
            {
                client.SetTag("gatehouse.node", node.Id);
                client.SetTag("server.address", node.BaseAddress);
                client.SetTag("gatehouse.attempt", telemetry.Attempts);
            }

            // Activity.Id is the W3C traceparent of the span.
            telemetry.UpstreamTraceparent = client.Id;
        }
        else
        {
            telemetry.UpstreamTraceparent = GatewayTracing.FormatTraceparent(telemetry.TraceHigh, telemetry.TraceLow, GatewayTracing.NewId(), telemetry.Flags);
        }

        return new AttemptScope(telemetry, client, Stopwatch.GetTimestamp());
    }

    /// <summary>Counts the attempt for its API and node and ends its span.</summary>
    public void EndAttempt(HttpContext context, in AttemptScope scope, ApiModel api, NodeModel node, ForwarderError error)
    {
        var elapsed = Stopwatch.GetTimestamp() - scope.StartTimestamp;
        var cells = api.Metrics;
        cells.UpstreamDuration.Record(elapsed);
        cells.RecordUpstreamError(error);
        node.State.Metrics.RecordAttempt(failed: error != ForwarderError.None && !HttpForwarder.IsClientSide(error));
        if (scope.Telemetry is { } telemetry)
        {
            telemetry.UpstreamTicks += elapsed;
            telemetry.UpstreamTraceparent = null;
            telemetry.UpstreamError = error;
        }

        var histogram = _metrics.UpstreamDuration;
        if (histogram.Enabled)
        {
            histogram.Record((double)elapsed / Stopwatch.Frequency,
                new KeyValuePair<string, object?>("service", cells.Service),
                new KeyValuePair<string, object?>("api", cells.Api),
                new KeyValuePair<string, object?>("node", node.Id));
        }

        if (scope.Client is { } client)
        {
            if (client.IsAllDataRequested)
            {
                if (error == ForwarderError.None)
                {
                    client.SetTag("http.response.status_code", context.Response.StatusCode);
                }
                else
                {
                    client.SetTag("error.type", MetricNames.ForwarderErrorKind(error));
                    client.SetStatus(ActivityStatusCode.Error);
                }
            }

            client.Stop();
        }
    }
}

/// <summary>State of one upstream attempt between <see cref="RequestObserver.BeginAttempt"/> and <see cref="RequestObserver.EndAttempt"/>.</summary>
internal readonly record struct AttemptScope(RequestTelemetry? Telemetry, Activity? Client, long StartTimestamp);
