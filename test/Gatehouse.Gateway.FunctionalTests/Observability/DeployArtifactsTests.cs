using System.Diagnostics;
using System.Net;
using System.Text.Json;
using System.Text.RegularExpressions;
using Gatehouse.Gateway.FunctionalTests.Infrastructure;
using Microsoft.AspNetCore.Http;

namespace Gatehouse.Gateway.FunctionalTests.Observability;

/// <summary>
/// The shipped Grafana dashboard (deploy/grafana/gatehouse.json) and Prometheus rules (deploy/prometheus/alerts.yml):
/// the rules pass promtool, every metric either names exists on a real gateway's /metrics, and a real Prometheus
/// scraping a real gateway fires one of the rules.
/// </summary>
public partial class DeployArtifactsTests
{
    /// <summary>Series Prometheus makes itself rather than scraping them.</summary>
    private static readonly HashSet<string> PrometheusOwn = ["up"];

    [Fact]
    public async Task AlertRules_PassPromtool()
    {
        var (exit, output) = await RunAsync("/usr/bin/promtool", "check", "rules", Path.Combine(RepositoryRoot(), "deploy", "prometheus", "alerts.yml"));
        Assert.True(exit == 0, output);
        Assert.Contains("SUCCESS", output);
    }

    [Fact]
    public async Task DashboardAndRules_UseOnlyMetricsARealGatewayExports()
    {
        var root = RepositoryRoot();
        var dashboard = JsonDocument.Parse(await File.ReadAllTextAsync(Path.Combine(root, "deploy", "grafana", "gatehouse.json"))).RootElement;
        Assert.Equal("Gatehouse", dashboard.GetProperty("title").GetString());
        var expressions = new List<string>();
        CollectExpressions(dashboard, expressions);
        Assert.True(expressions.Count >= 20, $"only {expressions.Count} expressions in the dashboard");

        var rules = await File.ReadAllTextAsync(Path.Combine(root, "deploy", "prometheus", "alerts.yml"));
        var used = new SortedSet<string>(StringComparer.Ordinal);
        foreach (var text in expressions.Append(rules))
        {
            foreach (Match match in MetricName().Matches(text))
            {
                used.Add(match.Value);
            }
        }

        Assert.Contains("gatehouse_requests_total", used);
        Assert.Contains("gatehouse_config_version", used);
        Assert.Contains("gatehouse_node_healthy", used);
        Assert.Contains("gatehouse_request_duration_seconds_bucket", used);

        // A gateway after the mixed traffic of the metrics tests (2xx, 4xx, 429, 502, unknown service); the gRPC family
        // has series once a gRPC call was relayed.
        await using var backend = await MetricsEndpointTests.StartBackendAsync();
        await using var gw = await GatewayTestHost.StartAsync(MetricsEndpointTests.Config(backend.Address, $"http://127.0.0.1:{FreePort.Next()}"));
        await MetricsEndpointTests.SendMixAsync(gw);
        var exported = PrometheusText.Parse(await gw.Control.GetStringAsync("/metrics"));
        // Samples, not just the family's TYPE line (every family is declared even before it has a series).
        var names = new HashSet<string>(exported.Samples.Select(s => s.Name), StringComparer.Ordinal);
        var missing = used.Where(n => !names.Contains(n) && !PrometheusOwn.Contains(n) && n != "gatehouse_grpc_requests_total").ToList();
        Assert.True(missing.Count == 0, "not exported: " + string.Join(", ", missing));

        // The gRPC family is declared (its samples need gRPC traffic; GrpcStatusTests sends some).
        Assert.Equal("counter", exported.Types["gatehouse_grpc_requests_total"]);
    }

    [Fact]
    public async Task RealPrometheus_High5xxRatioRule_FiresAgainstARealGateway()
    {
        await using var backend = await EchoBackend.StartAsync("b", context =>
        {
            context.Response.StatusCode = context.Request.Path == "/fail" ? 500 : 200;
            return context.Response.WriteAsync("x");
        });
        await using var gw = await GatewayTestHost.StartAsync($$"""
            services:
              - name: shop
                nodes: [ { id: shop-1, address: "{{backend.Address}}" } ]
                apis:
                  - { id: fail, path: /fail }
                  - { id: ok, path: /ok }
            """);

        // The shipped rules with test-sized windows: rate over 10 s instead of 5 m, and 1 s of pending before firing.
        var dir = Directory.CreateTempSubdirectory("gatehouse-rules-").FullName;
        try
        {
            var rules = await File.ReadAllTextAsync(Path.Combine(RepositoryRoot(), "deploy", "prometheus", "alerts.yml"));
            rules = RateWindow().Replace(rules, "[10s]");
            rules = ForDuration().Replace(rules, "for: 1s");
            var ruleFile = Path.Combine(dir, "alerts.yml");
            await File.WriteAllTextAsync(ruleFile, rules);
            await using var prometheus = await PrometheusServer.StartAsync($"127.0.0.1:{gw.ControlPort}", ruleFile);

            // Half the requests fail, sent steadily until the alert fires (rate() needs samples spread over time).
            using var traffic = new CancellationTokenSource();
            var sender = Task.Run(async () =>
            {
                while (!traffic.IsCancellationRequested)
                {
                    foreach (var path in new[] { "/fail", "/ok" })
                    {
                        using var request = new HttpRequestMessage(HttpMethod.Get, path);
                        request.Headers.Add("serviceName", "shop");
                        using var response = await gw.Client.SendAsync(request);
                        Assert.Equal(path == "/fail" ? HttpStatusCode.InternalServerError : HttpStatusCode.OK, response.StatusCode);
                    }

                    await Task.Delay(50);
                }
            });

            try
            {
                var deadline = DateTime.UtcNow.AddSeconds(60);
                List<(string State, Dictionary<string, string> Labels)> alerts;
                while (true)
                {
                    alerts = await prometheus.AlertsAsync("GatehouseHigh5xxRatio");
                    if (alerts.Any(a => a.State == "firing") || DateTime.UtcNow > deadline)
                    {
                        break;
                    }

                    await Task.Delay(250);
                }

                var firing = Assert.Single(alerts, a => a.State == "firing");
                Assert.Equal("shop", firing.Labels["service"]);
                Assert.Equal("default", firing.Labels["group"]);
                Assert.Equal("critical", firing.Labels["severity"]);

                // A healthy gateway fires none of the others.
                Assert.Empty(await prometheus.AlertsAsync("GatehouseGatewayDown"));
                Assert.Empty(await prometheus.AlertsAsync("GatehouseNoAvailableNode"));
                Assert.Empty(await prometheus.AlertsAsync("GatehouseNoConfig"));
            }
            finally
            {
                await traffic.CancelAsync();
                await sender;
            }
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    /// <summary>Every <c>expr</c> and <c>query</c> string anywhere in the dashboard (panels, variables, annotations).</summary>
    private static void CollectExpressions(JsonElement element, List<string> expressions)
    {
        switch (element.ValueKind)
        {
            case JsonValueKind.Object:
                foreach (var property in element.EnumerateObject())
                {
                    if (property.Name is "expr" or "query" or "definition" && property.Value.ValueKind == JsonValueKind.String)
                    {
                        expressions.Add(property.Value.GetString()!);
                    }
                    else
                    {
                        CollectExpressions(property.Value, expressions);
                    }
                }

                break;
            case JsonValueKind.Array:
                foreach (var item in element.EnumerateArray())
                {
                    CollectExpressions(item, expressions);
                }

                break;
        }
    }

    private static async Task<(int ExitCode, string Output)> RunAsync(string file, params string[] args)
    {
        var start = new ProcessStartInfo(file, args) { RedirectStandardOutput = true, RedirectStandardError = true };
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await process.WaitForExitAsync(timeout.Token);
        return (process.ExitCode, await stdout + await stderr);
    }

    private static string RepositoryRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Gatehouse.slnx")))
        {
            dir = dir.Parent;
        }

        return dir?.FullName ?? throw new InvalidOperationException("Gatehouse.slnx not found above the test assembly");
    }

    /// <summary>Metric names of the gateway and the process, and Prometheus's own <c>up</c>.</summary>
    [GeneratedRegex(@"\b(?:gatehouse_[a-z_]+|process_[a-z_]+|up)\b")]
    private static partial Regex MetricName();

    [GeneratedRegex(@"\[\d+[smh]\]")]
    private static partial Regex RateWindow();

    [GeneratedRegex(@"for: \d+[smh]")]
    private static partial Regex ForDuration();
}
