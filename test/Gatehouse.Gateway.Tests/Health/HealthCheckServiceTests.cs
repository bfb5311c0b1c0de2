using Gatehouse.Core.Config;
using Gatehouse.Gateway.Compilation;
using Gatehouse.Gateway.Forwarding;
using Gatehouse.Gateway.Health;
using Gatehouse.Gateway.LoadBalancing;
using Gatehouse.Gateway.Model;
using Gatehouse.Gateway.Routing;
using Gatehouse.Gateway.Tests.Infrastructure;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging.Abstractions;

namespace Gatehouse.Gateway.Tests.Health;

/// <summary>The health loop on a fake clock with a scripted prober: thresholds, cool-down, traffic as signal, slow start.</summary>
public class HealthCheckServiceTests
{
    private readonly TestTimeProvider _time = new();
    private readonly NodeStateRegistry _states = new();
    private readonly SnapshotState _state = new();
    private readonly ScriptedProber _prober = new();
    private readonly HealthCheckService _service;
    private long _version;

    public HealthCheckServiceTests()
    {
        _service = new HealthCheckService(_state, _time, NullLogger<HealthCheckService>.Instance, _prober);
    }

    private static HealthCheckConfig Check(PassiveHealthConfig? passive = null) => new()
    {
        Path = "/health",
        IntervalMs = 1000,
        TimeoutMs = 500,
        HealthyThreshold = 2,
        UnhealthyThreshold = 3,
        Passive = passive ?? new PassiveHealthConfig(),
    };

    private ServiceModel Publish(HealthCheckConfig? check, int? slowStartMs = null, params NodeConfig[] nodes)
    {
        var config = new GatewayConfig
        {
            Services =
            [
                new ServiceConfig
                {
                    Name = "s",
                    HealthCheck = check,
                    SlowStartMs = slowStartMs,
                    Nodes = nodes,
                    Apis = [new ApiConfig { Id = "all", Path = "/**" }],
                },
            ],
        };
        var compiler = new SnapshotCompiler("default", null, RouterPipeline.Default, LoadBalancerRegistry.CreateDefault(),
            new UpstreamClientFactory(), _states, _time);
        _state.Publish(compiler.Compile(config, "t", ++_version, "c" + _version));
        return _state.Current!.Services["s"];
    }

    private static NodeConfig Node(string id, bool online = true, string? healthPath = null) =>
        new() { Id = id, Address = $"http://127.0.0.1:{10_000 + id[0]}", Online = online, HealthPath = healthPath };

    private void Pass(TimeSpan advance)
    {
        _time.Advance(advance);
        _service.RunOnce();
    }

    private static string Routed(ServiceModel service)
    {
        var set = service.Lanes[0].Select(null);
        return string.Join(",", set.Nodes.Select(n => n.Id));
    }

    [Fact]
    public void FailedProbes_UnhealthyAtThreshold_BackAfterHealthyThreshold()
    {
        var service = Publish(Check(), null, Node("a"), Node("b"));
        _prober.Result["a"] = false;
        Pass(TimeSpan.Zero);
        Pass(TimeSpan.FromSeconds(1));
        Assert.Equal("a,b", Routed(service)); // two failures: below the threshold of 3
        Pass(TimeSpan.FromSeconds(1));
        Assert.Equal("b", Routed(service));
        Assert.False(service.Nodes[0].State.Healthy);

        _prober.Result["a"] = true;
        Pass(TimeSpan.FromSeconds(1));
        Assert.Equal("b", Routed(service)); // one success: below the threshold of 2
        Pass(TimeSpan.FromSeconds(1));
        Assert.Equal("a,b", Routed(service));
    }

    [Fact]
    public void ProbesAreSpacedByTheInterval()
    {
        Publish(Check(), null, Node("a"));
        for (var i = 0; i < 10; i++)
        {
            Pass(TimeSpan.FromMilliseconds(200));
        }

        // 2 s of 200 ms ticks with a 1 s interval: probes at 0.2 s, 1.2 s (and not more).
        Assert.InRange(_prober.Count("a"), 2, 3);
    }

    [Fact]
    public void RecentSuccessfulTraffic_SuppressesProbes()
    {
        var service = Publish(Check(), null, Node("a"));
        for (var i = 0; i < 20; i++)
        {
            service.Nodes[0].State.RecordSuccess(_time.GetTimestamp(), countWindow: false);
            Pass(TimeSpan.FromMilliseconds(200));
        }

        Assert.Equal(0, _prober.Count("a"));

        // Traffic stops: probing resumes within an interval.
        Pass(TimeSpan.FromMilliseconds(1200));
        Assert.Equal(1, _prober.Count("a"));
    }

    [Fact]
    public void OfflineNode_IsStillProbed()
    {
        var service = Publish(Check(), null, Node("a", online: false));
        _prober.Result["a"] = false;
        for (var i = 0; i < 3; i++)
        {
            Pass(TimeSpan.FromSeconds(1));
        }

        Assert.Equal(3, _prober.Count("a"));
        Assert.False(service.Nodes[0].State.Healthy);
    }

    [Fact]
    public void NoProbePath_HealthyNodeNotProbed()
    {
        Publish(null, null, Node("a"));
        for (var i = 0; i < 10; i++)
        {
            Pass(TimeSpan.FromSeconds(1));
        }

        Assert.Equal(0, _prober.Count("a"));
    }

    [Fact]
    public void NodeHealthPath_EnablesProbesWithDefaults()
    {
        var service = Publish(null, null, Node("a", healthPath: "/healthz"));
        Assert.Equal("/healthz", service.Nodes[0].HealthPath);
        Pass(TimeSpan.FromSeconds(1));
        Assert.Equal(1, _prober.Count("a"));
    }

    [Fact]
    public void PassiveEjection_ProbedBackOnlyAfterCoolDown()
    {
        var service = Publish(Check(new PassiveHealthConfig { ConsecutiveFailures = 3, EjectMs = 5000 }), null, Node("a"), Node("b"));
        var a = service.Nodes[0];
        for (var i = 0; i < 3; i++)
        {
            PassiveHealth.Record(_state, _time, a, ForwarderError.ConnectFailed, 0);
        }

        Assert.Equal("b", Routed(service));
        Assert.NotEqual(0, a.State.EjectedAt);
        for (var i = 0; i < 20; i++)
        {
            Pass(TimeSpan.FromMilliseconds(200)); // 4 s: still cooling down
        }

        Assert.Equal(0, _prober.Count("a"));
        Assert.Equal("b", Routed(service));

        Pass(TimeSpan.FromMilliseconds(1200));
        Assert.Equal(1, _prober.Count("a"));
        Assert.Equal("a,b", Routed(service)); // one success ends an ejection
        Assert.Equal(0, a.State.EjectedAt);
        Assert.Equal(0, a.State.ConsecutiveFailures);
    }

    [Fact]
    public void PassiveEjection_FailedProbeKeepsNodeOut()
    {
        var service = Publish(Check(new PassiveHealthConfig { ConsecutiveFailures = 1, EjectMs = 1000 }), null, Node("a"), Node("b"));
        PassiveHealth.Record(_state, _time, service.Nodes[0], ForwarderError.ResponseHeadersTimeout, 0);
        _prober.Result["a"] = false;
        for (var i = 0; i < 5; i++)
        {
            Pass(TimeSpan.FromSeconds(1));
        }

        Assert.True(_prober.Count("a") >= 3);
        Assert.Equal("b", Routed(service));
        _prober.Result["a"] = true;
        Pass(TimeSpan.FromSeconds(1));
        Assert.Equal("a,b", Routed(service));
    }

    [Fact]
    public void RemovedNode_IsNoLongerProbed()
    {
        Publish(Check(), null, Node("a"), Node("b"));
        Pass(TimeSpan.FromSeconds(1));
        Publish(Check(), null, Node("b"));
        Pass(TimeSpan.FromSeconds(1));
        Pass(TimeSpan.FromSeconds(1));
        Assert.Equal(1, _prober.Count("a"));
        Assert.Equal(3, _prober.Count("b"));
    }

    private sealed class ScriptedProber : HealthProber
    {
        private readonly Dictionary<string, int> _calls = [];

        public Dictionary<string, bool> Result { get; } = [];

        public int Count(string id) => _calls.GetValueOrDefault(id);

        public override Task<bool> ProbeAsync(NodeModel node, TimeSpan timeout, CancellationToken cancellationToken)
        {
            _calls[node.Id] = Count(node.Id) + 1;
            return Task.FromResult(Result.GetValueOrDefault(node.Id, true));
        }
    }
}
