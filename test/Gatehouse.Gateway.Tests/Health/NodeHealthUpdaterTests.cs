using Gatehouse.Core.Config;
using Gatehouse.Gateway.Health;
using Gatehouse.Gateway.Model;
using Microsoft.AspNetCore.Http;
using static Gatehouse.Gateway.Tests.Infrastructure.TestSnapshots;

namespace Gatehouse.Gateway.Tests.Health;

public class NodeHealthUpdaterTests
{
    [Fact]
    public void SetHealthy_False_NodeSkippedUntilHealthyAgain()
    {
        var states = new NodeStateRegistry();
        var config = new GatewayConfig
        {
            Services =
            [
                Service("s") with
                {
                    Nodes =
                    [
                        new NodeConfig { Id = "a", Address = "http://127.0.0.1:1001" },
                        new NodeConfig { Id = "b", Address = "http://127.0.0.1:1002" },
                    ],
                },
            ],
        };
        var state = new SnapshotState();
        state.Publish(Compiler(states: states).Compile(config, "t", 1, "c"));
        var updater = new NodeHealthUpdater(state, states);
        var lane = state.Current!.Services["s"].Lanes[0];

        Assert.True(updater.SetHealthy("s", "a", false));
        Assert.False(updater.SetHealthy("s", "a", false)); // no change, no rebuild
        var context = new DefaultHttpContext();
        for (var i = 0; i < 10; i++)
        {
            Assert.Equal("b", lane.Select(null).Balancer!.Pick(context, null)!.Id);
        }

        Assert.True(updater.SetHealthy("s", "a", true));
        Assert.Equal(2, lane.Select(null).Nodes.Length);
    }
}
