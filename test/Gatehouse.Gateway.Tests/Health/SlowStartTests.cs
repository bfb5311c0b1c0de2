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

/// <summary>Slow start on a fake clock: a new node's share of round-robin picks ramps from ~10% of its weight to 100%.</summary>
public class SlowStartTests
{
    private readonly TestTimeProvider _time = new();
    private readonly NodeStateRegistry _states = new();
    private readonly SnapshotState _state = new();
    private readonly HealthCheckService _service;
    private long _version;

    public SlowStartTests()
    {
        _service = new HealthCheckService(_state, _time, NullLogger<HealthCheckService>.Instance);
    }

    private ServiceModel Publish(int? slowStartMs, params string[] ids)
    {
        var config = new GatewayConfig
        {
            Services =
            [
                new ServiceConfig
                {
                    Name = "s",
                    SlowStartMs = slowStartMs,
                    Nodes = ids.Select((id, i) => new NodeConfig { Id = id, Address = $"http://127.0.0.1:{20_000 + i}" }).ToArray(),
                    Apis = [new ApiConfig { Id = "all", Path = "/**" }],
                },
            ],
        };
        var compiler = new SnapshotCompiler("default", null, RouterPipeline.Default, LoadBalancerRegistry.CreateDefault(),
            new UpstreamClientFactory(), _states, _time);
        _state.Publish(compiler.Compile(config, "t", ++_version, "c" + _version));
        return _state.Current!.Services["s"];
    }

    /// <summary>Share of node <paramref name="id"/> in <paramref name="picks"/> round-robin picks of the routes in force.</summary>
    private double Share(string id, int picks = 2100)
    {
        var service = _state.Current!.Services["s"];
        var context = new DefaultHttpContext();
        var hits = 0;
        for (var i = 0; i < picks; i++)
        {
            if (service.Lanes[0].Select(null).Balancer!.Pick(context, null)!.Id == id)
            {
                hits++;
            }
        }

        return hits / (double)picks;
    }

    private void Pass(TimeSpan advance)
    {
        _time.Advance(advance);
        _service.RunOnce();
    }

    [Theory]
    [InlineData(0, 10)]
    [InlineData(5000, 55)]
    [InlineData(9999, 99)]
    [InlineData(10_000, 100)]
    [InlineData(60_000, 100)]
    public void Percent_IsLinearFromTenToHundred(int elapsedMs, int expected)
    {
        Assert.Equal(expected, HealthCheckService.SlowStartPercent(TimeSpan.FromSeconds(10), TimeSpan.FromMilliseconds(elapsedMs)));
    }

    [Fact]
    public void NewNode_RampsFromTenPercentToFullWeight()
    {
        Publish(10_000, "a", "b");
        Pass(TimeSpan.FromSeconds(11)); // the nodes present at start finish their (equal) ramp
        Assert.Equal(0.5, Share("a"), 2);

        var service = Publish(10_000, "a", "b", "c");
        var c = service.Nodes[2];
        Assert.Equal(10, c.State.WeightPercent);
        Assert.Equal(10, c.EffectiveWeight);
        Assert.Equal(10 / 210.0, Share("c"), 2);

        Pass(TimeSpan.FromSeconds(5));
        Assert.Equal(55, c.State.WeightPercent);
        Assert.Equal(55 / 255.0, Share("c"), 2);

        Pass(TimeSpan.FromSeconds(6));
        Assert.Equal(100, c.State.WeightPercent);
        Assert.Equal(0, c.State.WarmingSince);
        Assert.Equal(1 / 3.0, Share("c"), 2);
    }

    [Fact]
    public void SlowStartOff_NewNodeAtFullWeightAtOnce()
    {
        Publish(null, "a", "b");
        Publish(null, "a", "b", "c");
        Assert.Equal(1 / 3.0, Share("c"), 2);
    }

    [Fact]
    public void RecoveredNode_WarmsUpAgain()
    {
        var service = Publish(10_000, "a", "b");
        Pass(TimeSpan.FromSeconds(11));
        var a = service.Nodes[0];
        for (var i = 0; i < 3; i++)
        {
            PassiveHealth.Record(_state, _time, a, ForwarderError.ConnectFailed, 0);
        }

        Assert.Equal(0.0, Share("a"));
        // Ejected for 5 s (default), then a TCP probe to a closed port fails: simulate the probe's success instead.
        typeof(HealthCheckService).GetMethod("MarkHealthy", System.Reflection.BindingFlags.NonPublic | System.Reflection.BindingFlags.Instance)!
            .Invoke(_service, [a]);
        Assert.Equal(10, a.State.WeightPercent);
        Assert.Equal(10 / 110.0, Share("a"), 2);
    }
}
