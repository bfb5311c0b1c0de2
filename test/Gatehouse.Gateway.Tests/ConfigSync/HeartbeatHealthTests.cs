using Gatehouse.Core.Config;
using Gatehouse.Gateway.ConfigSync;
using Gatehouse.Gateway.Tests.Infrastructure;

namespace Gatehouse.Gateway.Tests.ConfigSync;

public sealed class HeartbeatHealthTests
{
    [Fact]
    public void Read_ListsOnlyNodesHeldUnhealthy_NamingEjectedOnesSo()
    {
        var service = TestSnapshots.Service("orders") with
        {
            Nodes =
            [
                new NodeConfig { Id = "a", Address = "http://127.0.0.1:9" },
                new NodeConfig { Id = "b", Address = "http://127.0.0.1:10" },
                new NodeConfig { Id = "c", Address = "http://127.0.0.1:11" },
            ],
        };
        var snapshot = TestSnapshots.Compile(new GatewayConfig { Services = [service, TestSnapshots.Service("users")] });
        Assert.Empty(HeartbeatHealth.Read(snapshot));

        var nodes = snapshot.Services.Values.Single(s => s.Name == "orders").Nodes;
        nodes.Single(n => n.Id == "a").State.SetHealthy(false);
        var b = nodes.Single(n => n.Id == "b").State;
        Assert.True(b.TryEject(123));
        b.SetHealthy(false);

        Assert.Equal(
            [new UnhealthyNode("orders", "a", "unhealthy"), new UnhealthyNode("orders", "b", "ejected")],
            HeartbeatHealth.Read(snapshot).OrderBy(n => n.Node).ToArray());
        Assert.Empty(HeartbeatHealth.Read(null));
    }
}
