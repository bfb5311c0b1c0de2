using Gatehouse.Core.Config;
using Gatehouse.Gateway.Forwarding;
using Gatehouse.Gateway.Health;
using Gatehouse.Gateway.Model;
using static Gatehouse.Gateway.Tests.Infrastructure.TestSnapshots;

namespace Gatehouse.Gateway.Tests.Health;

public class PassiveHealthTests
{
    private readonly SnapshotState _state = new();

    private NodeModel[] Publish(PassiveHealthConfig passive)
    {
        var config = new GatewayConfig
        {
            Services =
            [
                Service("s") with
                {
                    HealthCheck = new HealthCheckConfig { Passive = passive },
                    Nodes =
                    [
                        new NodeConfig { Id = "a", Address = "http://127.0.0.1:1001" },
                        new NodeConfig { Id = "b", Address = "http://127.0.0.1:1002" },
                    ],
                },
            ],
        };
        _state.Publish(Compiler().Compile(config, "t", 1, "c"));
        return _state.Current!.Services["s"].Nodes;
    }

    private string Routed() => string.Join(",", _state.Current!.Services["s"].Lanes[0].Select(null).Nodes.Select(n => n.Id));

    private void Record(NodeModel node, ForwarderError error, int status = 200) =>
        PassiveHealth.Record(_state, TimeProvider.System, node, error, status);

    [Fact]
    public void ConsecutiveFailures_EjectAtThreshold()
    {
        var a = Publish(new PassiveHealthConfig { ConsecutiveFailures = 3 })[0];
        Record(a, ForwarderError.ConnectFailed);
        Record(a, ForwarderError.UpstreamFailed);
        Assert.Equal("a,b", Routed());
        Record(a, ForwarderError.ConnectTimeout);
        Assert.Equal("b", Routed());
        Assert.False(a.State.Healthy);
    }

    [Fact]
    public void Success_ResetsTheRun()
    {
        var a = Publish(new PassiveHealthConfig { ConsecutiveFailures = 3, FailureRatio = null })[0];
        Record(a, ForwarderError.ConnectFailed);
        Record(a, ForwarderError.ConnectFailed);
        Record(a, ForwarderError.None);
        Record(a, ForwarderError.ConnectFailed);
        Record(a, ForwarderError.ConnectFailed);
        Assert.Equal("a,b", Routed());
        Assert.NotEqual(0, a.State.LastSuccess);
    }

    [Fact]
    public void ClientSideProblems_AreIgnored()
    {
        var a = Publish(new PassiveHealthConfig { ConsecutiveFailures = 1 })[0];
        Record(a, ForwarderError.RequestCanceled);
        Record(a, ForwarderError.RequestBodyClient);
        Record(a, ForwarderError.RequestTimeout);
        Assert.Equal("a,b", Routed());
    }

    [Fact]
    public void ServerErrors_CountOnlyWhenConfigured()
    {
        var a = Publish(new PassiveHealthConfig { ConsecutiveFailures = 2 })[0];
        Record(a, ForwarderError.None, 500);
        Record(a, ForwarderError.None, 503);
        Assert.Equal("a,b", Routed());

        a = Publish(new PassiveHealthConfig { ConsecutiveFailures = 2, CountServerErrors = true })[0];
        Record(a, ForwarderError.None, 500);
        Record(a, ForwarderError.RetryableStatus, 503);
        Assert.Equal("b", Routed());
    }

    [Fact]
    public void FailureRatio_EjectsOnceMinimumRequestsReached()
    {
        var a = Publish(new PassiveHealthConfig { ConsecutiveFailures = 100, FailureRatio = 0.5, MinimumRequests = 10 })[0];
        for (var i = 0; i < 4; i++)
        {
            Record(a, ForwarderError.None);
            Record(a, ForwarderError.ConnectFailed);
        }

        Assert.Equal("a,b", Routed()); // 8 requests: below the minimum
        Record(a, ForwarderError.None);
        Record(a, ForwarderError.ConnectFailed);
        Assert.Equal("b", Routed());
    }

    [Fact]
    public void Disabled_NeverEjects()
    {
        var a = Publish(new PassiveHealthConfig { Enabled = false, ConsecutiveFailures = 1 })[0];
        for (var i = 0; i < 50; i++)
        {
            Record(a, ForwarderError.ConnectFailed);
        }

        Assert.Equal("a,b", Routed());
    }
}
