using System.Diagnostics;
using System.Text;
using Gatehouse.Core.Build;
using Gatehouse.Gateway.Forwarding;
using Gatehouse.Gateway.Http;
using Gatehouse.Gateway.Observability.AccessLog;
using Microsoft.AspNetCore.Http;

namespace Gatehouse.Gateway.Observability;

/// <summary>
/// <c>GET /metrics</c> on the control port: every gateway metric in Prometheus text format 0.0.4, read straight
/// from the cells (no MeterListener aggregation in between). Metric names and labels: docs/architecture.md,
/// Observability.
/// </summary>
internal sealed class MetricsEndpoint
{
    private readonly GatewayMetrics _metrics;
    private readonly AccessLogWriter? _accessLog;
    private readonly Filters.Plugins.Loading.PluginRegistry? _plugins;

    /// <param name="plugins">The plugins in force (built-in and hot-loaded), whose factories may write metrics of their own.</param>
    public MetricsEndpoint(GatewayMetrics metrics, AccessLogWriter? accessLog = null, Filters.Plugins.Loading.PluginRegistry? plugins = null)
    {
        _metrics = metrics;
        _accessLog = accessLog;
        _plugins = plugins;
    }

    public Task InvokeAsync(HttpContext context)
    {
        var body = Render();
        context.Response.StatusCode = StatusCodes.Status200OK;
        context.Response.ContentType = PrometheusTextWriter.ContentType;
        context.Response.Headers.CacheControl = "no-store";
        return HttpMethods.IsHead(context.Request.Method) ? Task.CompletedTask : context.Response.WriteAsync(body);
    }

    /// <summary>The whole exposition as text.</summary>
    public string Render()
    {
        var writer = new PrometheusTextWriter(new StringBuilder(16 * 1024));
        // One pass per family: the format wants each family's samples together.
        var apis = new List<ApiMetrics>(_metrics.AllApis());
        WriteBuildInfo(writer);
        WriteRequestFamilies(writer, apis);
        WriteNodeFamilies(writer);
        WritePluginFamilies(writer);
        WriteAccessLogFamilies(writer);
        WriteProcessFamilies(writer);
        return writer.ToString();
    }

    private void WritePluginFamilies(PrometheusTextWriter w)
    {
        w.Family("gatehouse_plugin_failures_total", "counter", "Plugin filters that threw, per plugin and phase (request: answered 500 plugin_failed).");
        foreach (var ((plugin, phase), cell) in _metrics.PluginFailures)
        {
            w.Sample("gatehouse_plugin_failures_total", [new("group", _metrics.Group), new("plugin", plugin), new("phase", phase)], cell.Count);
        }

        if (_plugins is null)
        {
            return;
        }

        // Families of plugins that keep metrics of their own (IPluginMetrics), with the group label added.
        var pluginWriter = new PluginFamilies(w, _metrics.Group);
        var catalog = _plugins.Catalog;
        foreach (var name in catalog.Names)
        {
            if (catalog.TryGet(name, out var factory) && factory is Gatehouse.Plugins.IPluginMetrics own)
            {
                own.WriteMetrics(pluginWriter);
            }
        }
    }

    /// <summary>A plugin's families into the exposition; names outside <c>gatehouse_plugin_</c> are dropped.</summary>
    private sealed class PluginFamilies(PrometheusTextWriter writer, string group) : Gatehouse.Plugins.PluginMetricWriter
    {
        private const string Prefix = "gatehouse_plugin_";

        public override void Family(string name, string type, string help)
        {
            if (name.StartsWith(Prefix, StringComparison.Ordinal) && type is "counter" or "gauge")
            {
                writer.Family(name, type, help);
            }
        }

        public override void Sample(string name, ReadOnlySpan<KeyValuePair<string, string>> labels, double value)
        {
            if (!name.StartsWith(Prefix, StringComparison.Ordinal))
            {
                return;
            }

            var all = new Label[labels.Length + 1];
            all[0] = new("group", group);
            for (var i = 0; i < labels.Length; i++)
            {
                all[i + 1] = new(labels[i].Key, labels[i].Value);
            }

            writer.Sample(name, all, value);
        }
    }

    private void WriteRequestFamilies(PrometheusTextWriter w, List<ApiMetrics> apis)
    {
        var group = _metrics.Group;
        w.Family("gatehouse_requests_total", "counter", "Requests answered by the gateway, per service, API, status class and exact status code.");
        foreach (var api in apis)
        {
            // Only codes that occurred are exported: at most the few codes an API really answers with.
            for (var code = ApiMetrics.FirstCode; api.HasCodes && code < ApiMetrics.FirstCode + ApiMetrics.CodeCount; code++)
            {
                var value = api.RequestsWithCode(code);
                if (value > 0)
                {
                    w.Sample("gatehouse_requests_total",
                        [new("group", group), new("service", api.Service), new("api", api.Api),
                            new("status_class", GatewayMetrics.StatusClassNames[ApiMetrics.StatusClassIndex(code)]), new("code", StatusCodeLabels.Get(code))],
                        value);
                }
            }

            if (api.RequestsWithOtherCode is > 0 and var other)
            {
                w.Sample("gatehouse_requests_total",
                    [new("group", group), new("service", api.Service), new("api", api.Api), new("status_class", "5xx"), new("code", "other")],
                    other);
            }
        }

        WritePerApiByLabel(w, apis, "gatehouse_grpc_requests_total", "gRPC calls relayed, per service, API and final grpc-status (grpc_code as gRPC names it).",
            "grpc_code", 0, ApiMetrics.GrpcStatusCount, static (a, i) => a.GrpcStatuses(i), GrpcStatus.Name);

        WriteHistograms(w, apis, "gatehouse_request_duration_seconds", "Time from the gateway taking a request to the end of its response.",
            static a => a.Duration);
        WriteHistograms(w, apis, "gatehouse_upstream_duration_seconds", "Time of each upstream attempt, from the send to the end of the relayed response.",
            static a => a.UpstreamDuration);

        WritePerApi(w, apis, "gatehouse_requests_in_flight", "gauge", "Requests in progress.", static a => a.InFlight);
        WritePerApi(w, apis, "gatehouse_request_body_bytes_total", "counter", "Request body bytes streamed to upstream nodes.", static a => a.RequestBytes);
        WritePerApi(w, apis, "gatehouse_response_body_bytes_total", "counter", "Response body bytes relayed from upstream nodes.", static a => a.ResponseBytes);
        WritePerApi(w, apis, "gatehouse_retries_total", "counter", "Requests retried on another node.", static a => a.Retries);
        WritePerApi(w, apis, "gatehouse_rate_limit_rejections_total", "counter", "Requests refused by a rate limit (429 rate_limited).", static a => a.RateLimited);
        WritePerApi(w, apis, "gatehouse_circuit_breaker_rejections_total", "counter", "Requests refused by an open circuit breaker (503 circuit_open).",
            static a => a.BreakerRejected);

        // Kind 0 is "no error": not a failure, so not a series.
        WritePerApiByLabel(w, apis, "gatehouse_upstream_errors_total", "Failed upstream attempts, per kind of failure.",
            "kind", 1, ApiMetrics.ForwarderErrorCount, static (a, i) => a.UpstreamErrors((ForwarderError)i), static i => MetricNames.ForwarderErrorKind((ForwarderError)i));
        WritePerApiByLabel(w, apis, "gatehouse_gateway_errors_total", "Error responses the gateway answered itself, per problem code.",
            "code", 0, ApiMetrics.GatewayErrorCount, static (a, i) => a.GatewayErrors(i), static i => GatewayErrors.Code((GatewayError)i));
    }

    // One family with an extra label over a fixed range of indexes (statuses, error kinds); only indexes that
    // counted something get a series.
    private void WritePerApiByLabel(PrometheusTextWriter w, List<ApiMetrics> apis, string name, string help, string label, int first, int count,
        Func<ApiMetrics, int, long> read, Func<int, string> labelValue)
    {
        w.Family(name, "counter", help);
        foreach (var api in apis)
        {
            for (var i = first; i < count; i++)
            {
                var value = read(api, i);
                if (value > 0)
                {
                    w.Sample(name, [new("group", _metrics.Group), new("service", api.Service), new("api", api.Api), new(label, labelValue(i))], value);
                }
            }
        }
    }

    private void WriteHistograms(PrometheusTextWriter w, List<ApiMetrics> apis, string name, string help, Func<ApiMetrics, LatencyHistogram> pick)
    {
        w.Family(name, "histogram", help);
        Span<long> counts = stackalloc long[LatencyHistogram.BoundsSeconds.Length + 1];
        foreach (var api in apis)
        {
            var histogram = pick(api);
            // Sum read before the buckets: a racing record then makes count run ahead of sum, never the reverse.
            var sum = histogram.SumSeconds;
            for (var i = 0; i < counts.Length; i++)
            {
                counts[i] = histogram.BucketCount(i);
            }

            w.Histogram(name, [new("group", _metrics.Group), new("service", api.Service), new("api", api.Api)],
                LatencyHistogram.BoundsSeconds, counts, sum);
        }
    }

    private void WritePerApi(PrometheusTextWriter w, List<ApiMetrics> apis, string name, string type, string help, Func<ApiMetrics, long> read)
    {
        w.Family(name, type, help);
        foreach (var api in apis)
        {
            w.Sample(name, [new("group", _metrics.Group), new("service", api.Service), new("api", api.Api)], read(api));
        }
    }

    private void WriteNodeFamilies(PrometheusTextWriter w)
    {
        var snapshot = _metrics.State?.Current;
        var nodes = new List<Model.NodeModel>();
        if (snapshot is not null)
        {
            foreach (var service in snapshot.Services.Values)
            {
                nodes.AddRange(service.Nodes);
            }
        }

        WritePerNode(w, nodes, "gatehouse_node_requests_total", "counter", "Attempts forwarded to the node.", static n => n.State.Metrics.Requests);
        WritePerNode(w, nodes, "gatehouse_node_failures_total", "counter", "Attempts to the node that failed on the node's side (connect, timeout, reset).",
            static n => n.State.Metrics.Failures);
        WritePerNode(w, nodes, "gatehouse_node_in_flight", "gauge", "Requests currently forwarded to the node.", static n => n.State.InFlight);
        WritePerNode(w, nodes, "gatehouse_node_healthy", "gauge", "1 when the node is healthy, 0 when health checking took it out.",
            static n => n.State.Healthy ? 1 : 0);
        WritePerNode(w, nodes, "gatehouse_node_online", "gauge", "1 when the node takes traffic (online in config), else 0.", static n => n.Online ? 1 : 0);

        w.Family("gatehouse_config_version", "gauge", "Version of the config snapshot in force; absent before the first config.");
        if (snapshot is not null)
        {
            w.Sample("gatehouse_config_version", [new("group", _metrics.Group)], snapshot.Version);
        }
    }

    private void WritePerNode(PrometheusTextWriter w, List<Model.NodeModel> nodes, string name, string type, string help, Func<Model.NodeModel, long> read)
    {
        w.Family(name, type, help);
        foreach (var node in nodes)
        {
            w.Sample(name, [new("group", _metrics.Group), new("service", node.ServiceName.ToLowerInvariant()), new("node", node.Id)], read(node));
        }
    }

    private void WriteAccessLogFamilies(PrometheusTextWriter w)
    {
        var log = _accessLog;
        w.Family("gatehouse_access_log_written_total", "counter", "Access log lines handed to the file.");
        w.Sample("gatehouse_access_log_written_total", [], log?.Written ?? 0);
        w.Family("gatehouse_access_log_dropped_total", "counter",
            "Access log entries lost: queue_full (the writer fell behind; the request did not wait), write_error (the file could not be written).");
        w.Sample("gatehouse_access_log_dropped_total", [new("reason", "queue_full")], log?.Dropped ?? 0);
        w.Sample("gatehouse_access_log_dropped_total", [new("reason", "write_error")], log?.WriteErrors ?? 0);
        w.Family("gatehouse_access_log_queue_entries", "gauge", "Access log entries waiting for the writer.");
        w.Sample("gatehouse_access_log_queue_entries", [], log?.Pending ?? 0);
    }

    private static void WriteBuildInfo(PrometheusTextWriter w)
    {
        w.Family("gatehouse_build_info", "gauge", "Always 1; the labels name the gateway's version and the commit it was built from.");
        w.Sample("gatehouse_build_info", [new("version", BuildInfo.Version), new("commit", BuildInfo.Commit ?? "unknown")], 1);
    }

    private void WriteProcessFamilies(PrometheusTextWriter w)
    {
        ProcessMetrics.Write(w);
        w.Family("gatehouse_process_gc_collections_total", "counter", "Garbage collections since the process started, per generation.");
        for (var gen = 0; gen <= GC.MaxGeneration; gen++)
        {
            w.Sample("gatehouse_process_gc_collections_total", [new("generation", "gen" + gen)], GC.CollectionCount(gen));
        }

        w.Family("gatehouse_process_gc_heap_bytes", "gauge", "Bytes currently thought to be allocated on the managed heap.");
        w.Sample("gatehouse_process_gc_heap_bytes", [], GC.GetTotalMemory(forceFullCollection: false));
        w.Family("gatehouse_process_allocated_bytes_total", "counter", "Bytes allocated on the managed heap since the process started.");
        w.Sample("gatehouse_process_allocated_bytes_total", [], GC.GetTotalAllocatedBytes(precise: false));
        w.Family("gatehouse_process_working_set_bytes", "gauge", "Physical memory mapped to the process.");
        w.Sample("gatehouse_process_working_set_bytes", [], Environment.WorkingSet);

        int threads;
        using (var process = Process.GetCurrentProcess())
        {
            threads = process.Threads.Count;
        }

        w.Family("gatehouse_process_threads", "gauge", "Operating system threads of the process.");
        w.Sample("gatehouse_process_threads", [], threads);
        w.Family("gatehouse_threadpool_threads", "gauge", "Thread pool worker threads.");
        w.Sample("gatehouse_threadpool_threads", [], ThreadPool.ThreadCount);
        w.Family("gatehouse_threadpool_queue_length", "gauge", "Work items queued to the thread pool and not yet started.");
        w.Sample("gatehouse_threadpool_queue_length", [], ThreadPool.PendingWorkItemCount);
        w.Family("gatehouse_kestrel_active_connections", "gauge", "Open connections on the traffic and control ports (Kestrel's meter).");
        w.Sample("gatehouse_kestrel_active_connections", [], _metrics.KestrelConnections);
    }
}
