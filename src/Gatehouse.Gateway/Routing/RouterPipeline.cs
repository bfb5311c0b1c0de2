using Gatehouse.Gateway.Model;

namespace Gatehouse.Gateway.Routing;

/// <summary>The ordered routers of a gateway; applies them in sequence to a node list.</summary>
public sealed class RouterPipeline
{
    public RouterPipeline(IEnumerable<IRouter> routers)
    {
        ArgumentNullException.ThrowIfNull(routers);
        Routers = routers.ToArray();
    }

    /// <summary>online → health → gray → nearest, the order docs/architecture.md gives ("The request path").</summary>
    public static RouterPipeline Default { get; } =
        new([new OnlineRouter(), new HealthRouter(), new GrayRouter(), new NearestRouter()]);

    public IReadOnlyList<IRouter> Routers { get; }

    public NodeModel[] Route(in RouteKey key, NodeModel[] nodes)
    {
        foreach (var router in Routers)
        {
            if (nodes.Length == 0)
            {
                break;
            }

            nodes = router.Route(key, nodes);
        }

        return nodes;
    }
}
