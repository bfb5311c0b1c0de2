using Gatehouse.Gateway.Hosting;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using OpenTelemetry;
using OpenTelemetry.Exporter;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;

namespace Gatehouse.Gateway.Observability;

/// <summary>Registers OTLP push of the gateway's meter and activity source when an endpoint is configured.</summary>
internal static class TelemetryExportExtensions
{
    public static IServiceCollection AddGatehouseTelemetryExport(this IServiceCollection services, IConfiguration configuration)
    {
        var endpoint = configuration[$"{GatewayOptions.Section}:{nameof(GatewayOptions.Otlp)}:{nameof(GatewayOtlpOptions.Endpoint)}"];
        if (!string.IsNullOrWhiteSpace(endpoint))
        {
            services.AddHostedService<TelemetryExport>();
        }

        return services;
    }
}

/// <summary>
/// Builds the OpenTelemetry meter and tracer providers on start and flushes and disposes them on stop. Only the
/// <c>Gatehouse.Gateway</c> meter and source are exported: ASP.NET Core and HttpClient instrumentation packages
/// do not restore here, and the gateway's own spans and metrics already cover the request path.
/// </summary>
internal sealed partial class TelemetryExport : IHostedService, IDisposable
{
    private readonly GatewayOptions _options;
    private readonly ILogger<TelemetryExport> _logger;
    private MeterProvider? _meters;
    private TracerProvider? _tracer;

    public TelemetryExport(IOptions<GatewayOptions> options, ILogger<TelemetryExport> logger)
    {
        _options = options.Value;
        _logger = logger;
    }

    public Task StartAsync(CancellationToken cancellationToken)
    {
        var otlp = _options.Otlp;
        var http = string.Equals(otlp.Protocol, "http/protobuf", StringComparison.OrdinalIgnoreCase);
        var baseAddress = otlp.Endpoint!.TrimEnd('/');
        var protocol = http ? OtlpExportProtocol.HttpProtobuf : OtlpExportProtocol.Grpc;
        void Configure(OtlpExporterOptions o, string signalPath)
        {
            o.Protocol = protocol;
            // With an explicit endpoint the HTTP exporter posts to it as given, so the signal path is ours to add.
            o.Endpoint = new Uri(http ? baseAddress + signalPath : baseAddress);
        }

        var resource = ResourceBuilder.CreateDefault()
            .AddService(otlp.ServiceName, serviceInstanceId: _options.NodeId)
            .AddAttributes([new("gatehouse.group", _options.Group)]);

        _meters = Sdk.CreateMeterProviderBuilder()
            .SetResourceBuilder(resource)
            .AddMeter(GatewayMetrics.MeterName)
            .AddOtlpExporter((exporter, reader) =>
            {
                Configure(exporter, "/v1/metrics");
                reader.PeriodicExportingMetricReaderOptions.ExportIntervalMilliseconds = (int)otlp.ExportInterval.TotalMilliseconds;
                reader.TemporalityPreference = MetricReaderTemporalityPreference.Cumulative;
            })
            .Build();

        _tracer = Sdk.CreateTracerProviderBuilder()
            .SetResourceBuilder(resource)
            .AddSource(GatewayTracing.SourceName)
            .SetSampler(new ParentBasedSampler(new TraceIdRatioBasedSampler(Math.Clamp(otlp.TraceSampleRatio, 0, 1))))
            .AddOtlpExporter(o => Configure(o, "/v1/traces"))
            .Build();

        Log.Started(_logger, baseAddress, http ? "http/protobuf" : "grpc");
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken)
    {
        Dispose();
        return Task.CompletedTask;
    }

    public void Dispose()
    {
        // Dispose flushes what is pending (bounded by the exporters' own timeouts).
        _tracer?.Dispose();
        _meters?.Dispose();
        _tracer = null;
        _meters = null;
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 4001, Level = LogLevel.Information, Message = "OTLP export to {Endpoint} ({Protocol}) started")]
        public static partial void Started(ILogger logger, string endpoint, string protocol);
    }
}
