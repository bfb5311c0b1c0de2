using Gatehouse.Core.Config;
using Gatehouse.Gateway.Compilation;
using Gatehouse.Gateway.Forwarding;
using Gatehouse.Gateway.LoadBalancing;
using Gatehouse.Gateway.Model;
using Gatehouse.Gateway.Routing;

namespace Gatehouse.Gateway.Tests.Infrastructure;

internal static class TestSnapshots
{
    private static readonly UpstreamClientFactory Clients = new();

    public static SnapshotCompiler Compiler(string? loc = null, string group = "default", NodeStateRegistry? states = null) =>
        new(group, loc, RouterPipeline.Default, LoadBalancerRegistry.CreateDefault(), Clients, states ?? new NodeStateRegistry(), TimeProvider.System);

    public static ConfigSnapshot Compile(GatewayConfig config, string? loc = null, string group = "default") =>
        Compiler(loc, group).Compile(config, "test.yaml", 1, ConfigChecksum.Compute(config));

    public static ServiceConfig Service(string name, string[]? apis = null, string? group = null, PolicyConfig? policy = null) => new()
    {
        Name = name,
        Group = group,
        Policy = policy,
        Nodes = [new NodeConfig { Id = $"{name}-1", Address = "http://127.0.0.1:9" }],
        Apis = (apis ?? ["/**"]).Select((p, i) => new ApiConfig { Id = $"api{i}", Path = p }).ToArray(),
    };
}
