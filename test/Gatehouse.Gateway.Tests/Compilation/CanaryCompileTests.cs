using Gatehouse.Core.Config;
using Gatehouse.Gateway.Compilation;
using Gatehouse.Gateway.Model;
using Gatehouse.Gateway.Tests.Infrastructure;
using Microsoft.AspNetCore.Http;

namespace Gatehouse.Gateway.Tests.Compilation;

public class CanaryCompileTests
{
    private static ServiceConfig Service(PolicyConfig? servicePolicy, PolicyConfig? apiPolicy, string? activeVersion = null) => new()
    {
        Name = "s",
        ActiveVersion = activeVersion,
        Policy = servicePolicy,
        Nodes =
        [
            new NodeConfig { Id = "blue", Address = "http://127.0.0.1:1", Version = "v1" },
            new NodeConfig { Id = "green", Address = "http://127.0.0.1:2", Version = "v2" },
            new NodeConfig { Id = "beta", Address = "http://127.0.0.1:3", Version = "v1", Gray = ["beta"] },
        ],
        Apis =
        [
            new ApiConfig { Id = "plain", Path = "/plain" },
            new ApiConfig { Id = "special", Path = "/special", Policy = apiPolicy },
        ],
    };

    private static string Route(ConfigSnapshot snapshot, string api)
    {
        var service = snapshot.Services["s"];
        var model = service.Apis.Single(a => a.Id == api);
        var set = service.Lanes[model.LaneIndex].Select(new DefaultHttpContext(), null);
        return string.Join(",", set.Nodes.Select(n => n.Id));
    }

    [Fact]
    public void Compile_ServiceCanaryAndApiOverride_EachApiGetsItsOwnSplit()
    {
        var snapshot = TestSnapshots.Compile(new GatewayConfig
        {
            Services = [Service(
                new PolicyConfig { Canary = new CanaryConfig { Gray = "beta", Percent = 100 } },
                new PolicyConfig { Canary = new CanaryConfig { Gray = "beta", Percent = 0 } })],
        });

        Assert.Equal("beta", Route(snapshot, "plain"));
        Assert.Equal("blue,green", Route(snapshot, "special"));
    }

    [Fact]
    public void Compile_GlobalCanaryAndActiveVersion_Applied()
    {
        var snapshot = TestSnapshots.Compile(new GatewayConfig
        {
            Global = new PolicyConfig { Canary = new CanaryConfig { Version = "v2", Percent = 100 } },
            Services = [Service(null, null, activeVersion: "v1")],
        });

        Assert.Equal("green", Route(snapshot, "plain"));
    }

    [Fact]
    public void Compile_ActiveVersion_FiltersOrdinaryNodes()
    {
        var snapshot = TestSnapshots.Compile(new GatewayConfig { Services = [Service(null, null, activeVersion: "v2")] });
        Assert.Equal("green", Route(snapshot, "plain"));
        Assert.Equal("green", Route(snapshot, "special"));
    }

    [Fact]
    public void Compile_KeepsTheSourceConfigForOperatorViews()
    {
        var config = new GatewayConfig { Services = [Service(null, null)] };
        Assert.Same(config, TestSnapshots.Compile(config).Config);
    }

    [Fact]
    public void PolicyDefaults_MatchTheGatewayBuiltInPolicy()
    {
        // The effective-policy view shows PolicyDefaults as the "default" level; it must be what the gateway applies.
        var merged = PolicyMerger.Merge(null, null, PolicyDefaults.Value);
        Assert.Equal(EffectivePolicy.Default, merged);
    }
}
