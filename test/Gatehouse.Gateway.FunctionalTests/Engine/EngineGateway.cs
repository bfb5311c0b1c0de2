using Gatehouse.Gateway.FunctionalTests.Infrastructure;

namespace Gatehouse.Gateway.FunctionalTests.Engine;

/// <summary>The gateway the engine tests start: one service <c>s</c> with one node and one API for every path.</summary>
internal static class EngineGateway
{
    public static string Config(string address) => $$"""
        services:
          - name: s
            nodes: [ { address: "{{address}}" } ]
            apis: [ { id: all, path: "/**" } ]
        """;

    /// <summary>Starts it on <paramref name="engine"/>, named explicitly; <paramref name="extra"/> come last.</summary>
    public static Task<GatewayTestHost> StartAsync(string engine, string backend, params string[] extra) =>
        GatewayTestHost.StartAsync(Config(backend), null, ["--Gatehouse:Gateway:Engine", engine, .. extra]);
}
