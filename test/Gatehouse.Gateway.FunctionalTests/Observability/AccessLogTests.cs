using System.Net;
using System.Text;
using System.Text.Json;
using Gatehouse.Gateway.FunctionalTests.Infrastructure;
using Gatehouse.Gateway.Hosting;
using Gatehouse.Gateway.Observability.AccessLog;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;

namespace Gatehouse.Gateway.FunctionalTests.Observability;

public class AccessLogTests
{
    private static readonly TimeSpan Generous = TimeSpan.FromSeconds(30);

    private static string Config(string address, string deadAddress) => $$"""
        services:
          - name: shop
            nodes: [ { id: shop-1, address: "{{address}}" } ]
            apis:
              - { id: items, path: /items }
          - name: dead
            nodes: [ { id: dead-1, address: "{{deadAddress}}" } ]
            apis: [ { id: all, path: "/**" } ]
        """;

    private static Task<EchoBackend> StartBackendAsync() => EchoBackend.StartAsync("b", async context =>
    {
        await context.Request.Body.CopyToAsync(Stream.Null);
        await context.Response.WriteAsync("0123456789");
    });

    /// <summary>Every line of every access log file in <paramref name="dir"/>, once at least <paramref name="count"/> are there.</summary>
    internal static async Task<List<JsonElement>> ReadLinesAsync(string dir, int count)
    {
        var lines = new List<string>();
        await GatewayTestHost.WaitUntilAsync(() =>
        {
            lines.Clear();
            if (Directory.Exists(dir))
            {
                foreach (var file in Directory.GetFiles(dir, "access-*.log").Order(StringComparer.Ordinal))
                {
                    // The writer keeps the file open; share it as a tail reader would.
                    using var stream = new FileStream(file, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
                    using var reader = new StreamReader(stream, Encoding.UTF8);
                    while (reader.ReadLine() is { } line)
                    {
                        lines.Add(line);
                    }
                }
            }

            return Task.FromResult(lines.Count >= count);
        }, Generous, $"{count} access log lines in {dir}");
        return lines.Select(l => JsonDocument.Parse(l).RootElement.Clone()).ToList();
    }

    [Fact]
    public async Task EveryRequest_OneJsonLine_WithEveryField()
    {
        await using var backend = await StartBackendAsync();
        var logDir = Directory.CreateTempSubdirectory("gatehouse-accesslog-").FullName;
        try
        {
            await using var gw = await GatewayTestHost.StartAsync(Config(backend.Address, $"http://127.0.0.1:{FreePort.Next()}"), null,
                "--Gatehouse:Gateway:AccessLog:Enabled", "true",
                "--Gatehouse:Gateway:AccessLog:Path", Path.Combine(logDir, "access.log"));

            // 1: forwarded POST with a body, the client's request id and trace.
            using (var request = new HttpRequestMessage(HttpMethod.Post, "/items?token=secret") { Content = new ByteArrayContent(new byte[1000]) })
            {
                request.Headers.Add("serviceName", "shop");
                request.Headers.Add("X-Request-Id", "req-from-client");
                request.Headers.Add("traceparent", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01");
                request.Headers.Add("User-Agent", "access-log-test/1.0");
                request.Headers.Host = "shop.example.com";
                using var response = await gw.Client.SendAsync(request);
                Assert.Equal(HttpStatusCode.OK, response.StatusCode);
                Assert.Equal("0123456789", await response.Content.ReadAsStringAsync());
            }

            // 2: answered by the gateway itself (unknown service).
            using (var request = new HttpRequestMessage(HttpMethod.Get, "/nothing"))
            {
                request.Headers.Add("serviceName", "nope");
                using var response = await gw.Client.SendAsync(request);
                Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
                await response.Content.ReadAsByteArrayAsync();
            }

            // 3: the node cannot be reached.
            using (var request = new HttpRequestMessage(HttpMethod.Get, "/down"))
            {
                request.Headers.Add("serviceName", "dead");
                using var response = await gw.Client.SendAsync(request);
                Assert.Equal(HttpStatusCode.BadGateway, response.StatusCode);
                await response.Content.ReadAsByteArrayAsync();
            }

            var lines = await ReadLinesAsync(logDir, 3);
            Assert.Equal(3, lines.Count);
            Assert.All(lines, line => Assert.Equal(20, line.EnumerateObject().Count()));

            var ok = lines[0];
            var time = DateTimeOffset.Parse(ok.GetProperty("time").GetString()!);
            Assert.Equal(TimeSpan.Zero, time.Offset);
            Assert.True(Math.Abs((DateTimeOffset.UtcNow - time).TotalMinutes) < 5);
            Assert.EndsWith("Z", ok.GetProperty("time").GetString());
            Assert.Equal("req-from-client", ok.GetProperty("requestId").GetString());
            Assert.Equal("4bf92f3577b34da6a3ce929d0e0e4736", ok.GetProperty("traceId").GetString());
            Assert.Equal("127.0.0.1", ok.GetProperty("clientIp").GetString());
            Assert.Equal("POST", ok.GetProperty("method").GetString());
            Assert.Equal("/items", ok.GetProperty("path").GetString()); // no query by default
            Assert.Equal("shop", ok.GetProperty("service").GetString());
            Assert.Equal("items", ok.GetProperty("api").GetString());
            Assert.Equal("shop-1", ok.GetProperty("node").GetString());
            Assert.Equal(200, ok.GetProperty("status").GetInt32());
            Assert.Equal(200, ok.GetProperty("upstreamStatus").GetInt32());
            Assert.Equal("HTTP/1.1", ok.GetProperty("protocol").GetString());
            Assert.Equal("shop.example.com", ok.GetProperty("host").GetString());
            Assert.Equal("access-log-test/1.0", ok.GetProperty("userAgent").GetString());
            Assert.Equal(JsonValueKind.Null, ok.GetProperty("grpcStatus").ValueKind);
            Assert.Equal(1000, ok.GetProperty("bytesIn").GetInt64());
            Assert.Equal(10, ok.GetProperty("bytesOut").GetInt64());
            var total = ok.GetProperty("totalMs").GetDouble();
            var upstream = ok.GetProperty("upstreamMs").GetDouble();
            Assert.True(upstream > 0 && upstream <= total, $"upstream {upstream} ms, total {total} ms");
            Assert.Equal(JsonValueKind.Null, ok.GetProperty("error").ValueKind);

            var notFound = lines[1];
            Assert.Equal(404, notFound.GetProperty("status").GetInt32());
            Assert.Equal(JsonValueKind.Null, notFound.GetProperty("upstreamStatus").ValueKind); // the gateway answered itself
            Assert.Equal(JsonValueKind.Null, notFound.GetProperty("userAgent").ValueKind);
            Assert.Equal($"127.0.0.1:{gw.Port}", notFound.GetProperty("host").GetString());
            Assert.Equal("service_not_found", notFound.GetProperty("error").GetString());
            Assert.Equal("/nothing", notFound.GetProperty("path").GetString());
            Assert.Equal(JsonValueKind.Null, notFound.GetProperty("service").ValueKind);
            Assert.Equal(JsonValueKind.Null, notFound.GetProperty("node").ValueKind);
            Assert.Equal(20, notFound.GetProperty("requestId").GetString()!.Length); // generated by the gateway
            Assert.Matches("^[0-9a-f]{32}$", notFound.GetProperty("traceId").GetString());
            Assert.True(notFound.GetProperty("bytesOut").GetInt64() > 0); // the problem body
            Assert.Equal(0, notFound.GetProperty("upstreamMs").GetDouble());

            var badGateway = lines[2];
            Assert.Equal(502, badGateway.GetProperty("status").GetInt32());
            Assert.Equal(JsonValueKind.Null, badGateway.GetProperty("upstreamStatus").ValueKind); // no node answered
            Assert.Equal("upstream_unreachable", badGateway.GetProperty("error").GetString());
            Assert.Equal("dead", badGateway.GetProperty("service").GetString());
            Assert.Equal("all", badGateway.GetProperty("api").GetString());
            Assert.Equal("dead-1", badGateway.GetProperty("node").GetString());

            var metrics = PrometheusText.Parse(await gw.Control.GetStringAsync("/metrics"));
            Assert.Equal(3, metrics.Sum("gatehouse_access_log_written_total"));
            Assert.Equal(0, metrics.Sum("gatehouse_access_log_dropped_total", ("reason", "queue_full")));
            Assert.Equal(0, metrics.Sum("gatehouse_access_log_dropped_total", ("reason", "write_error")));
        }
        finally
        {
            Directory.Delete(logDir, recursive: true);
        }
    }

    [Fact]
    public async Task IncludeQuery_PathKeepsTheQuery()
    {
        await using var backend = await StartBackendAsync();
        var logDir = Directory.CreateTempSubdirectory("gatehouse-accesslog-").FullName;
        try
        {
            await using var gw = await GatewayTestHost.StartAsync(Config(backend.Address, $"http://127.0.0.1:{FreePort.Next()}"), null,
                "--Gatehouse:Gateway:AccessLog:Enabled", "true",
                "--Gatehouse:Gateway:AccessLog:IncludeQuery", "true",
                "--Gatehouse:Gateway:AccessLog:Path", Path.Combine(logDir, "access.log"));
            using var request = new HttpRequestMessage(HttpMethod.Get, "/items?a=1&b=%20x");
            request.Headers.Add("serviceName", "shop");
            using var response = await gw.Client.SendAsync(request);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);

            var lines = await ReadLinesAsync(logDir, 1);
            Assert.Equal("/items?a=1&b=%20x", lines[0].GetProperty("path").GetString());
        }
        finally
        {
            Directory.Delete(logDir, recursive: true);
        }
    }

    [Fact]
    public async Task Disabled_ByDefault_NoFile_CountersZero()
    {
        await using var backend = await StartBackendAsync();
        await using var gw = await GatewayTestHost.StartAsync(Config(backend.Address, $"http://127.0.0.1:{FreePort.Next()}"));
        using var request = new HttpRequestMessage(HttpMethod.Get, "/items");
        request.Headers.Add("serviceName", "shop");
        using var response = await gw.Client.SendAsync(request);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);

        Assert.False(gw.Services.GetRequiredService<AccessLogWriter>().IsEnabled);
        var metrics = PrometheusText.Parse(await gw.Control.GetStringAsync("/metrics"));
        Assert.Equal(0, metrics.Sum("gatehouse_access_log_written_total"));
    }

    [Fact]
    public async Task InvalidOptions_StartFails_NamingTheFields()
    {
        var args = new[]
        {
            "--port", FreePort.Next().ToString(), "--control-port", FreePort.Next().ToString(), "--listen", "127.0.0.1",
            "--Gatehouse:Gateway:AccessLog:Enabled", "true",
            "--Gatehouse:Gateway:AccessLog:QueueCapacity", "0",
            "--Gatehouse:Gateway:AccessLog:RetainDays", "-1",
        };
        // The request handler needs the writer, so building the node already validates the options.
        var error = await Assert.ThrowsAnyAsync<Microsoft.Extensions.Options.OptionsValidationException>(async () =>
        {
            await using var app = GatewayApplication.Create(args);
            await app.StartAsync();
        });
        Assert.Contains("Gatehouse:Gateway:AccessLog:QueueCapacity", error.Message);
        Assert.Contains("Gatehouse:Gateway:AccessLog:RetainDays", error.Message);
    }

    [Fact]
    public async Task WriterStuck_QueueFull_RequestsStillComplete_DropsCountedOnMetrics()
    {
        await using var backend = await StartBackendAsync();
        var dir = Directory.CreateTempSubdirectory("gatehouse-test-").FullName;
        var sink = new StuckSink();
        try
        {
            var configPath = Path.Combine(dir, "gatehouse.yaml");
            await File.WriteAllTextAsync(configPath, Config(backend.Address, $"http://127.0.0.1:{FreePort.Next()}"));
            var port = FreePort.Next();
            var controlPort = FreePort.Next();
            string[] args =
            [
                "--config", configPath, "--port", port.ToString(), "--control-port", controlPort.ToString(), "--listen", "127.0.0.1",
                "--Gatehouse:Gateway:AccessLog:Enabled", "true", "--Gatehouse:Gateway:AccessLog:QueueCapacity", "8",
                "--Gatehouse:Gateway:DrainDelay", "00:00:00",
            ];
            await using var app = GatewayApplication.Create(args, builder => builder.Services.AddSingleton<IAccessLogSink>(sink));
            await app.StartAsync();
            using var client = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}"), Timeout = Generous };
            using var control = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{controlPort}"), Timeout = Generous };
            await GatewayTestHost.WaitUntilAsync(async () =>
                (await control.GetStringAsync("/control/config/version")).Contains("\"version\":1"), Generous, "config loaded");

            async Task SendAsync()
            {
                using var request = new HttpRequestMessage(HttpMethod.Get, "/items");
                request.Headers.Add("serviceName", "shop");
                using var response = await client.SendAsync(request);
                Assert.Equal(HttpStatusCode.OK, response.StatusCode);
                Assert.Equal("0123456789", await response.Content.ReadAsStringAsync());
            }

            // The writer takes the first line and hangs in the sink (a stuck disk) ...
            await SendAsync();
            Assert.True(sink.Entered.Wait(Generous), "the writer never reached the sink");

            // ... and requests go on being answered, 8 connections at a time: 8 entries fill the queue, the other 472
            // are dropped and counted. A request waiting on the log would hang here until the client's timeout.
            await Task.WhenAll(Enumerable.Range(0, 8).Select(async _ =>
            {
                for (var i = 0; i < 60; i++)
                {
                    await SendAsync();
                }
            }));

            var writer = app.Services.GetRequiredService<AccessLogWriter>();
            Assert.Equal(472, writer.Dropped);
            var metrics = PrometheusText.Parse(await control.GetStringAsync("/metrics"));
            Assert.Equal(472, metrics.Sum("gatehouse_access_log_dropped_total", ("reason", "queue_full")));
            Assert.Equal(8, metrics.Sum("gatehouse_access_log_queue_entries"));

            sink.Gate.Set();
            await GatewayTestHost.WaitUntilAsync(() => Task.FromResult(writer.Written == 9), Generous, "the kept entries written");
            Assert.Equal(9, sink.Lines);
            await app.StopAsync();
        }
        finally
        {
            sink.Gate.Set();
            Directory.Delete(dir, recursive: true);
        }
    }

    /// <summary>Blocks the writer in its first write until the gate opens; counts lines.</summary>
    private sealed class StuckSink : IAccessLogSink
    {
        private int _lines;

        public ManualResetEventSlim Gate { get; } = new(false);

        public ManualResetEventSlim Entered { get; } = new(false);

        public int Lines => Volatile.Read(ref _lines);

        public void Write(ReadOnlySpan<byte> line)
        {
            Entered.Set();
            Gate.Wait();
            Interlocked.Increment(ref _lines);
        }

        public void Flush()
        {
        }

        public void Dispose()
        {
        }
    }
}
