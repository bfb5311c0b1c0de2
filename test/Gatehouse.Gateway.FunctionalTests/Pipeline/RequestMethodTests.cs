using Gatehouse.Gateway.FunctionalTests.Infrastructure;

namespace Gatehouse.Gateway.FunctionalTests.Pipeline;

/// <summary>Request methods as raw bytes: over-long ones are refused before routing, extension methods still pass.</summary>
public class RequestMethodTests
{
    private static string Config(string address) => $$"""
        services:
          - name: s
            nodes: [ { address: "{{address}}" } ]
            apis: [ { id: x, path: /x } ]
        """;

    private static string Request(string method) =>
        $"{method} /x HTTP/1.1\r\nHost: gw\r\nserviceName: s\r\nConnection: close\r\n\r\n";

    [Fact]
    public async Task OverLongMethod_400ProblemJson_NothingForwarded()
    {
        await using var backend = await EchoBackend.StartAsync("b");
        await using var gw = await GatewayTestHost.StartAsync(Config(backend.Address));

        var response = await RawHttp.SendAsync(gw.Port, Request(new string('A', 10_000)));

        Assert.Equal(400, response.Status);
        Assert.Equal("bad_request", response.ProblemCode);
        Assert.Contains("the limit is 32", response.Text, StringComparison.Ordinal);
        Assert.Equal(0, backend.RequestCount);
    }

    [Theory]
    [InlineData("UPDATEREDIRECTREF")]   // the longest registered method (17)
    [InlineData("ABCDEFGHIJKLMNOPQRSTUVWXYZ012345")]   // exactly the default limit
    public async Task MethodWithinLimit_Forwarded(string method)
    {
        await using var backend = await EchoBackend.StartAsync("b");
        await using var gw = await GatewayTestHost.StartAsync(Config(backend.Address));

        var response = await RawHttp.SendAsync(gw.Port, Request(method));

        Assert.Equal(200, response.Status);
        Assert.Equal(method, Assert.Single(backend.Seen).Method);
    }

    [Fact]
    public async Task MethodLimit_Configurable()
    {
        await using var backend = await EchoBackend.StartAsync("b");
        await using var gw = await GatewayTestHost.StartAsync(Config(backend.Address), null, "--Gatehouse:Gateway:Limits:MaxMethodLength", "6");

        var refused = await RawHttp.SendAsync(gw.Port, Request("OPTIONS"));
        var passed = await RawHttp.SendAsync(gw.Port, Request("DELETE"));

        Assert.Equal(400, refused.Status);
        Assert.Equal(200, passed.Status);
        Assert.Equal(1, backend.RequestCount);
    }
}
