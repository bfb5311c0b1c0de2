using System.Diagnostics;
using System.Net;
using System.Text;
using System.Text.Json;
using Gatehouse.Gateway.Observability.AccessLog;

namespace Gatehouse.Gateway.Tests.Observability.AccessLog;

public class AccessLogFormatterTests
{
    private static AccessLogEntry Entry(string target = "/orders/42?token=secret") => new()
    {
        RequestId = "req-1",
        TraceHigh = 0x4bf92f3577b34da6,
        TraceLow = 0x0000000000000001,
        ClientIp = IPAddress.Parse("::ffff:10.1.2.3"),
        Method = "POST",
        Target = target,
        Service = "orders",
        Api = "get-order",
        Node = "orders-1",
        Protocol = "HTTP/2",
        Host = "api.example.com",
        UserAgent = "curl/8.5.0",
        Status = 201,
        UpstreamStatus = 201,
        GrpcStatus = null,
        BytesIn = 1000,
        BytesOut = 12,
        TotalTicks = Stopwatch.Frequency / 4, // 250 ms
        UpstreamTicks = Stopwatch.Frequency / 5, // 200 ms
        Error = null,
    };

    private static readonly long Start = new DateTime(2026, 3, 1, 12, 0, 1, 250, DateTimeKind.Utc).Ticks + 4321; // sub-ms cut off

    private static JsonElement Parse(ReadOnlySpan<byte> line)
    {
        Assert.Equal((byte)'\n', line[^1]);
        Assert.Equal(-1, line[..^1].IndexOf((byte)'\n'));
        return JsonDocument.Parse(line.ToArray()).RootElement.Clone();
    }

    [Fact]
    public void Format_EveryField_OneLine()
    {
        var json = Parse(new AccessLogFormatter(includeQuery: false).Format(Entry(), Start));

        // Arrival to the millisecond, ISO-8601 UTC.
        Assert.Equal("2026-03-01T12:00:01.25Z", json.GetProperty("time").GetString());
        Assert.Equal("req-1", json.GetProperty("requestId").GetString());
        Assert.Equal("4bf92f3577b34da60000000000000001", json.GetProperty("traceId").GetString());
        Assert.Equal("10.1.2.3", json.GetProperty("clientIp").GetString());
        Assert.Equal("POST", json.GetProperty("method").GetString());
        Assert.Equal("/orders/42", json.GetProperty("path").GetString());
        Assert.Equal("orders", json.GetProperty("service").GetString());
        Assert.Equal("get-order", json.GetProperty("api").GetString());
        Assert.Equal("orders-1", json.GetProperty("node").GetString());
        Assert.Equal("HTTP/2", json.GetProperty("protocol").GetString());
        Assert.Equal("api.example.com", json.GetProperty("host").GetString());
        Assert.Equal("curl/8.5.0", json.GetProperty("userAgent").GetString());
        Assert.Equal(201, json.GetProperty("status").GetInt32());
        Assert.Equal(201, json.GetProperty("upstreamStatus").GetInt32());
        Assert.Equal(JsonValueKind.Null, json.GetProperty("grpcStatus").ValueKind);
        Assert.Equal(1000, json.GetProperty("bytesIn").GetInt64());
        Assert.Equal(12, json.GetProperty("bytesOut").GetInt64());
        Assert.Equal(250.0, json.GetProperty("totalMs").GetDouble(), 3);
        Assert.Equal(200.0, json.GetProperty("upstreamMs").GetDouble(), 3);
        Assert.Equal(JsonValueKind.Null, json.GetProperty("error").ValueKind);
    }

    [Fact]
    public void Format_IncludeQuery_KeepsTheQuery()
    {
        var json = Parse(new AccessLogFormatter(includeQuery: true).Format(Entry(), Start));
        Assert.Equal("/orders/42?token=secret", json.GetProperty("path").GetString());
    }

    [Fact]
    public void Format_UnmatchedRequest_NullsKeepTheShape()
    {
        var entry = new AccessLogEntry
        {
            Method = "GET",
            Target = "/x",
            Status = 404,
            Error = "service_not_found",
        };

        var json = Parse(new AccessLogFormatter(includeQuery: false).Format(entry, Start));
        foreach (var name in new[] { "requestId", "clientIp", "service", "api", "node", "protocol", "host", "userAgent", "upstreamStatus", "grpcStatus" })
        {
            Assert.Equal(JsonValueKind.Null, json.GetProperty(name).ValueKind);
        }

        Assert.Equal("service_not_found", json.GetProperty("error").GetString());
        Assert.Equal(20, json.EnumerateObject().Count());
    }

    [Fact]
    public void Format_HostilePath_CannotBreakTheLineOrAddFields()
    {
        var formatter = new AccessLogFormatter(includeQuery: false);
        var line = formatter.Format(Entry("/a\"b\n{\"status\":1}\u0001ü"), Start);
        var json = Parse(line);
        Assert.Equal("/a\"b\n{\"status\":1}\u0001ü", json.GetProperty("path").GetString());
        Assert.Equal(201, json.GetProperty("status").GetInt32());

        // The formatter reuses its buffer: a second, shorter line does not carry the first one's tail.
        var second = Encoding.UTF8.GetString(formatter.Format(Entry("/s"), Start));
        Assert.Contains("\"path\":\"/s\"", second);
        Assert.Single(second.Split('\n', StringSplitOptions.RemoveEmptyEntries));
    }

    [Fact]
    public void Format_GatewayAnsweredOverANodeAnswer_BothStatusesAndGrpcStatus()
    {
        // A gRPC call the node ended with UNAVAILABLE (14) in a 200, and a node 503 the gateway replaced by its own 502.
        var grpc = Entry() with { Status = 200, UpstreamStatus = 200, GrpcStatus = 14 };
        var json = Parse(new AccessLogFormatter(includeQuery: false).Format(grpc, Start));
        Assert.Equal(200, json.GetProperty("status").GetInt32());
        Assert.Equal(14, json.GetProperty("grpcStatus").GetInt32());

        var replaced = Entry() with { Status = 502, UpstreamStatus = 503, Error = "upstream_failed" };
        json = Parse(new AccessLogFormatter(includeQuery: false).Format(replaced, Start));
        Assert.Equal(502, json.GetProperty("status").GetInt32());
        Assert.Equal(503, json.GetProperty("upstreamStatus").GetInt32());
    }
}
