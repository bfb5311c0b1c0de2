using Gatehouse.Gateway.Model;

namespace Gatehouse.Gateway.ConfigSync;

/// <summary>A node this gateway gives no traffic because its health checks failed: <c>unhealthy</c>, or <c>ejected</c> by passive checks.</summary>
internal sealed record UnhealthyNode(string Service, string Node, string State);

/// <summary>
/// The health part of a heartbeat: the nodes of the config in force that this gateway holds unhealthy. Only those are
/// listed (an empty list says every node is healthy), so a heartbeat stays small however many nodes a group has.
/// </summary>
internal static class HeartbeatHealth
{
    /// <summary>Read on the heartbeat timer from the nodes' state; the request path does nothing for it.</summary>
    public static IReadOnlyList<UnhealthyNode> Read(ConfigSnapshot? snapshot)
    {
        var unhealthy = new List<UnhealthyNode>();
        if (snapshot is null)
        {
            return unhealthy;
        }

        foreach (var service in snapshot.Services.Values)
        {
            foreach (var node in service.Nodes)
            {
                if (!node.State.Healthy)
                {
                    unhealthy.Add(new UnhealthyNode(service.Name, node.Id, node.State.EjectedAt != 0 ? "ejected" : "unhealthy"));
                }
            }
        }

        return unhealthy;
    }
}
