using Gatehouse.Core.Config;
using Gatehouse.Gateway.Model;

namespace Gatehouse.Gateway.Tests.Infrastructure;

internal static class TestNodes
{
    public static NodeModel Node(string id, int weight = 100, string? loc = null, bool online = true, string[]? gray = null, bool healthy = true,
        string? version = null)
    {
        var state = new NodeState();
        state.SetHealthy(healthy);
        return new NodeModel("svc", id, new Uri($"http://10.0.0.{Math.Abs(id.GetHashCode()) % 250 + 1}:80"), weight, loc, online,
            gray ?? [], UpstreamProtocol.Http1, state, version);
    }

    public static string Ids(IEnumerable<NodeModel> nodes) => string.Join(",", nodes.Select(n => n.Id));
}
