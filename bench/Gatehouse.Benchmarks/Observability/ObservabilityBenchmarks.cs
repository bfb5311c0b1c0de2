using BenchmarkDotNet.Attributes;
using Gatehouse.Core.Config;
using Gatehouse.Gateway.Forwarding;
using Gatehouse.Gateway.Model;
using Gatehouse.Gateway.Observability;
using Gatehouse.Gateway.Observability.AccessLog;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Logging.Abstractions;

namespace Gatehouse.Benchmarks.Observability;

/// <summary>
/// Per-request cost of metrics and trace propagation, no listener attached (the default: Prometheus scrapes the
/// cells, no OTLP). <c>CellsOnly</c> is the counting alone (request, latency histograms, node); <c>WholeRequest</c>
/// is everything the handler's two hooks do for one forwarded request: clock, trace id (parsed or generated),
/// the per-request feature, the attempt's traceparent, and the counting. <c>Exposition</c> is one scrape of
/// 100 APIs with traffic (control port, not per request). <c>WholeRequest_AccessLog</c> adds the access log's
/// request-path part (capturing the entry into the lock-free queue; the entry is taken off again inline, as the
/// writer thread would); <c>AccessLog_FormatLine</c> and <c>AccessLog_FormatAndWrite</c> are the writer thread's
/// per-line work (JSON formatting, then the buffered file write), which runs off the request path.
/// </summary>
/// <remarks>Public and unsealed because BenchmarkDotNet derives its generated runner from the benchmark class.</remarks>
[MemoryDiagnoser]
public class ObservabilityBenchmarks
{
    private RequestObserver _observer = null!;
    private ApiModel _api = null!;
    private NodeModel _node = null!;
    private DefaultHttpContext _plain = null!;
    private DefaultHttpContext _traced = null!;
    private DefaultHttpContext _begun = null!;
    private MetricsEndpoint _endpoint = null!;
    private RequestObserver _loggingObserver = null!;
    private AccessLogWriter _accessLog = null!;
    private DefaultHttpContext _logged = null!;
    private AccessLogFormatter _formatter = null!;
    private AccessLogEntry _entry;
    private long _startUtcTicks = DateTime.UtcNow.Ticks;
    private RollingFileSink _sink = null!;
    private string _sinkDir = null!;

    [GlobalSetup]
    public void Setup()
    {
        var metrics = new GatewayMetrics("default");
        _observer = new RequestObserver(metrics);
        _api = new ApiModel("orders", "list", "/orders", MatchKind.Exact, null, EffectivePolicy.Default)
        {
            Metrics = metrics.GetOrAdd("orders", "list"),
        };
        _node = new NodeModel("orders", "n1", new Uri("http://10.0.0.1:8080"), 1, null, true, [], UpstreamProtocol.Http1, new NodeState());
        _plain = new DefaultHttpContext();
        _plain.Response.StatusCode = 200;
        _traced = new DefaultHttpContext();
        _traced.Request.Headers["traceparent"] = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
        _traced.Response.StatusCode = 200;

        _begun = new DefaultHttpContext();
        _observer.Begin(_begun).Match(_api);

        var many = new GatewayMetrics("default");
        for (var i = 0; i < 100; i++)
        {
            var cells = many.GetOrAdd("svc" + (i % 10), "api" + i);
            cells.CompleteRequest(200, 1000, entered: false);
            cells.UpstreamDuration.Record(1000);
        }

        _endpoint = new MetricsEndpoint(many);

        // Not started: the benchmark takes each entry off itself, so the queue never fills and drops.
        _accessLog = new AccessLogWriter(new AccessLogOptions { Enabled = true }, null, NullLogger.Instance, TimeProvider.System);
        _loggingObserver = new RequestObserver(metrics, _accessLog);
        _logged = new DefaultHttpContext();
        _logged.Request.Method = "GET";
        _logged.Request.Path = "/orders";
        _logged.Features.Get<IHttpRequestFeature>()!.RawTarget = "/orders?page=2";
        _logged.Connection.RemoteIpAddress = System.Net.IPAddress.Parse("10.1.2.3");
        _logged.Response.Headers["X-Request-Id"] = "0HN8AB12CD34EF560001";
        _logged.Response.StatusCode = 200;

        _formatter = new AccessLogFormatter(includeQuery: false);
        _entry = new AccessLogEntry
        {
            StartTimestamp = System.Diagnostics.Stopwatch.GetTimestamp(), RequestId = "0HN8AB12CD34EF560001", TraceHigh = 0x4bf92f3577b34da6, TraceLow = 0xa3ce929d0e0e4736,
            ClientIp = System.Net.IPAddress.Parse("10.1.2.3"), Method = "GET", Target = "/orders?page=2", Service = "orders", Api = "list",
            Node = "n1", Status = 200, BytesIn = 0, BytesOut = 100, TotalTicks = 23_456, UpstreamTicks = 12_345,
        };
        _sinkDir = Directory.CreateTempSubdirectory("gatehouse-bench-").FullName;
        _sink = new RollingFileSink(Path.Combine(_sinkDir, "access.log"), 100L * 1024 * 1024, rollDaily: true, retainFiles: 2, retainDays: 0,
            TimeProvider.System);
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _sink.Dispose();
        Directory.Delete(_sinkDir, recursive: true);
    }

    /// <summary>Metrics and tracing plus the access log's request-path part.</summary>
    [Benchmark]
    public bool WholeRequest_AccessLog()
    {
        var telemetry = _loggingObserver.Begin(_logged);
        telemetry.Match(_api);
        var attempt = _loggingObserver.BeginAttempt(_logged, _node);
        _loggingObserver.EndAttempt(_logged, attempt, _api, _node, ForwarderError.None);
        _loggingObserver.Complete(_logged, telemetry, Task.CompletedTask);
        return _accessLog.TryDequeue(out _);
    }

    /// <summary>The writer thread's JSON for one line.</summary>
    [Benchmark]
    public int AccessLog_FormatLine() => _formatter.Format(_entry, _startUtcTicks).Length;

    /// <summary>The writer thread's whole per-line work: JSON, then the buffered append to the rolling file.</summary>
    [Benchmark]
    public void AccessLog_FormatAndWrite() => _sink.Write(_formatter.Format(_entry, _startUtcTicks));

    [Benchmark(Baseline = true)]
    public void CellsOnly()
    {
        var cells = _api.Metrics;
        cells.EnterRequest();
        cells.UpstreamDuration.Record(12_345);
        _node.State.Metrics.RecordAttempt(failed: false);
        cells.CompleteRequest(200, 23_456, entered: true);
    }

    [Benchmark]
    public Task WholeRequest_NoTraceparent() => Request(_plain);

    [Benchmark]
    public Task WholeRequest_ClientTraceparent() => Request(_traced);

    /// <summary>The request hook alone: clock, trace id, feature.</summary>
    [Benchmark]
    public RequestTelemetry BeginOnly() => _observer.Begin(_plain);

    /// <summary>The attempt hooks alone on a begun request: feature lookup, traceparent, upstream histogram, node counter.</summary>
    [Benchmark]
    public void AttemptOnly()
    {
        var attempt = _observer.BeginAttempt(_begun, _node);
        _observer.EndAttempt(_begun, attempt, _api, _node, ForwarderError.None);
    }

    [Benchmark]
    public int Exposition_100Apis() => _endpoint.Render().Length;

    private Task Request(HttpContext context)
    {
        var telemetry = _observer.Begin(context);
        telemetry.Match(_api);
        var attempt = _observer.BeginAttempt(context, _node);
        _observer.EndAttempt(context, attempt, _api, _node, ForwarderError.None);
        return _observer.Complete(context, telemetry, Task.CompletedTask);
    }
}
