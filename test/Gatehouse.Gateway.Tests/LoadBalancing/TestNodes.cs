using Gatehouse.Core.Config;
using Gatehouse.Gateway.Model;

namespace Gatehouse.Gateway.Tests.LoadBalancing;

/// <summary>Builds candidate nodes for balancer tests.</summary>
internal static class TestNodes
{
    /// <summary>One node with its own <see cref="NodeState"/>.</summary>
    public static NodeModel Node(string id, int weight = 100) =>
        new("svc", id, new Uri("http://10.0.0.1:80"), weight, null, true, [], UpstreamProtocol.Http1, new NodeState());

    /// <summary>Nodes n0, n1, ... with the given weights.</summary>
    public static NodeModel[] WithWeights(params int[] weights)
    {
        var nodes = new NodeModel[weights.Length];
        for (var i = 0; i < weights.Length; i++)
        {
            nodes[i] = Node("n" + i, weights[i]);
        }

        return nodes;
    }

    /// <summary>Raises the node's in-flight count by <paramref name="count"/>.</summary>
    public static NodeModel Busy(this NodeModel node, int count)
    {
        for (var i = 0; i < count; i++)
        {
            node.State.Enter();
        }

        return node;
    }

    /// <summary>How often each node was picked, by index in <paramref name="nodes"/>.</summary>
    public static int[] CountPicks(NodeModel[] nodes, Func<NodeModel?> pick, int picks)
    {
        var counts = new int[nodes.Length];
        for (var i = 0; i < picks; i++)
        {
            var node = pick();
            Assert.NotNull(node);
            counts[Array.IndexOf(nodes, node)]++;
        }

        return counts;
    }
}

/// <summary>A <see cref="Random"/> that returns scripted values from <see cref="Next(int)"/>, to fix which nodes are sampled.</summary>
internal sealed class ScriptedRandom(params int[] values) : Random
{
    private int _next;

    public override int Next(int maxValue)
    {
        var value = values[_next++ % values.Length];
        Assert.InRange(value, 0, maxValue - 1);
        return value;
    }
}
