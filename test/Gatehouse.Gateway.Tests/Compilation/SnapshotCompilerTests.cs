using Gatehouse.Core.Config;
using Gatehouse.Gateway.Model;
using static Gatehouse.Gateway.Tests.Infrastructure.TestSnapshots;

namespace Gatehouse.Gateway.Tests.Compilation;

public class SnapshotCompilerTests
{
    [Fact]
    public void Compile_OtherGroupServices_Excluded()
    {
        var config = new GatewayConfig
        {
            Services = [Service("mine"), Service("theirs", group: "other"), Service("explicit", group: "default")],
            OriginMappings = [new OriginMappingConfig { PathPrefix = "/t", Service = "theirs" }],
            ServiceSets = [new ServiceSetConfig { Tag = "t", Services = ["theirs"] }],
        };
        var snapshot = Compile(config);
        Assert.Equal(["explicit", "mine"], snapshot.Services.Keys.Order());
        Assert.Empty(snapshot.PathPrefixes);
        Assert.Empty(snapshot.ServiceSets);
    }

    [Fact]
    public void Compile_InvalidConfig_ThrowsWithAllErrors()
    {
        var config = new GatewayConfig
        {
            Services = [Service("a", ["no-slash"]), Service("a")],
        };
        var ex = Assert.Throws<ConfigException>(() => Compile(config));
        Assert.True(ex.Errors.Count >= 2, ex.Message);
    }

    [Fact]
    public void Compile_PolicyMerge_ApiOverServiceOverGlobal()
    {
        var config = new GatewayConfig
        {
            Global = new PolicyConfig { Timeouts = new TimeoutConfig { ConnectMs = 1000, IdleMs = 3000 }, Routing = new RoutingConfig { Nearest = false } },
            Services =
            [
                Service("s", policy: new PolicyConfig { Timeouts = new TimeoutConfig { ConnectMs = 2000 }, LoadBalancer = new LoadBalancerConfig { Kind = LoadBalancerKind.WeightedRandom } }) with
                {
                    Apis =
                    [
                        new ApiConfig { Id = "plain", Path = "/a" },
                        new ApiConfig
                        {
                            Id = "special", Path = "/b",
                            Policy = new PolicyConfig { Timeouts = new TimeoutConfig { ResponseHeadersMs = 500 }, LoadBalancer = new LoadBalancerConfig { Kind = LoadBalancerKind.LeastInFlight } },
                        },
                    ],
                },
            ],
        };
        var service = Compile(config).Services["s"];
        var plain = service.Apis[0].Policy;
        var special = service.Apis[1].Policy;

        Assert.Equal(TimeSpan.FromMilliseconds(2000), plain.ConnectTimeout);
        Assert.Equal(TimeSpan.FromMilliseconds(3000), plain.IdleTimeout);
        Assert.Equal(EffectivePolicy.Default.ResponseHeadersTimeout, plain.ResponseHeadersTimeout);
        Assert.False(plain.Nearest);
        Assert.Equal(LoadBalancerKind.WeightedRandom, plain.LoadBalancer.Kind);

        Assert.Equal(TimeSpan.FromMilliseconds(500), special.ResponseHeadersTimeout);
        Assert.Equal(TimeSpan.FromMilliseconds(2000), special.ConnectTimeout);
        Assert.Equal(LoadBalancerKind.LeastInFlight, special.LoadBalancer.Kind);

        // Different balancers → different lanes; same settings share one.
        Assert.NotEqual(service.Apis[0].LaneIndex, service.Apis[1].LaneIndex);
        Assert.Equal(2, service.Lanes.Length);
    }

    [Fact]
    public void Compile_NodeStateSurvivesRecompile()
    {
        var states = new NodeStateRegistry();
        var config = new GatewayConfig { Services = [Service("s")] };
        var first = Compiler(states: states).Compile(config, "t", 1, "a");
        first.Services["s"].Nodes[0].State.Enter();
        var second = Compiler(states: states).Compile(config, "t", 2, "b");
        Assert.Same(first.Services["s"].Nodes[0].State, second.Services["s"].Nodes[0].State);
        Assert.Equal(1, second.Services["s"].Nodes[0].State.InFlight);
    }

    [Fact]
    public void Compile_NodeIdDefaultsToHostPort()
    {
        var config = new GatewayConfig
        {
            Services = [Service("s") with { Nodes = [new NodeConfig { Address = "http://127.0.0.1:7001" }] }],
        };
        Assert.Equal("127.0.0.1:7001", Compile(config).Services["s"].Nodes[0].Id);
    }

    [Fact]
    public void Compile_RegistryExpiredNode_GetsNoTraffic_OperatorSwitchUntouched()
    {
        var expired = new Dictionary<string, string> { [RegistryMetadata.StateKey] = RegistryMetadata.Expired };
        var config = new GatewayConfig
        {
            Services = [Service("s") with
            {
                Nodes =
                [
                    new NodeConfig { Address = "http://127.0.0.1:7001", Metadata = expired },
                    new NodeConfig { Address = "http://127.0.0.1:7002", Metadata = new Dictionary<string, string> { ["team"] = "a" } },
                ],
            }],
        };
        var nodes = Compile(config).Services["s"].Nodes;
        Assert.False(nodes[0].Online);
        Assert.True(nodes[1].Online);
        Assert.True(config.Services[0].Nodes[0].Online);
    }
}
