using Gatehouse.Core.Config;
using Gatehouse.Gateway.Model;
using Microsoft.AspNetCore.Http;

namespace Gatehouse.Gateway.LoadBalancing;

/// <summary>
/// Least in-flight requests by power of two choices: samples two distinct candidates at random and takes the
/// one with the lower in-flight count per unit of weight; ties go to the first sampled.
/// </summary>
/// <remarks>
/// Two random choices avoid the herd effect of always taking the global minimum (every gateway instance
/// sending the next burst to the same idle node) while being almost as good at evening out load (Mitzenmacher,
/// "The Power of Two Choices in Randomized Load Balancing", 2001). It is also O(1) with no shared writes.
/// <para>
/// Loads are compared as InFlight/Weight by cross-multiplication, so a weight-200 node is considered as busy
/// as a weight-100 node with half its requests. Weight-0 nodes are left out while another node has weight;
/// when all have weight 0 every node counts as weight 1.
/// </para>
/// </remarks>
internal sealed class LeastInFlight : ILoadBalancer
{
    private readonly NodeModel[] _nodes;
    private readonly int[] _weights;
    private readonly Dictionary<NodeModel, int> _indexByNode;
    private readonly Random _random;

    /// <summary>Creates a balancer over <paramref name="nodes"/> (never empty).</summary>
    /// <param name="nodes">The candidates.</param>
    /// <param name="random">Source of samples; must be thread-safe when the balancer is shared (<see cref="Random.Shared"/> is).</param>
    public LeastInFlight(NodeModel[] nodes, Random random)
    {
        ArgumentNullException.ThrowIfNull(random);
        (_nodes, _weights) = BalancerCandidates.Eligible(nodes, weightWhenAllZero: 1);
        _indexByNode = BalancerCandidates.IndexByReference(_nodes);
        _random = random;
    }

    /// <inheritdoc/>
    public NodeModel? Pick(HttpContext context, NodeModel? exclude)
    {
        var excluded = -1;
        if (exclude is not null && _indexByNode.TryGetValue(exclude, out var index))
        {
            excluded = index;
        }

        // Sample among the candidates left after exclusion, numbered 0..count-1, then map back by skipping
        // the excluded index.
        var count = excluded < 0 ? _nodes.Length : _nodes.Length - 1;
        if (count == 0)
        {
            return null;
        }

        if (count == 1)
        {
            return _nodes[Skip(0, excluded)];
        }

        var first = _random.Next(count);
        var second = _random.Next(count - 1);
        if (second >= first)
        {
            second++;
        }

        first = Skip(first, excluded);
        second = Skip(second, excluded);

        // first/w1 <= second/w2  <=>  first * w2 <= second * w1 (weights are positive), in long so that large
        // counts and weights cannot overflow.
        var firstLoad = (long)_nodes[first].State.InFlight * _weights[second];
        var secondLoad = (long)_nodes[second].State.InFlight * _weights[first];
        return firstLoad <= secondLoad ? _nodes[first] : _nodes[second];
    }

    private static int Skip(int index, int excluded) => excluded >= 0 && index >= excluded ? index + 1 : index;
}

/// <summary>Creates <see cref="LeastInFlight"/> balancers for <see cref="LoadBalancerKind.LeastInFlight"/>.</summary>
internal sealed class LeastInFlightFactory : ILoadBalancerFactory
{
    private readonly Random _random;

    /// <param name="random">Shared by every balancer created; defaults to <see cref="Random.Shared"/>.</param>
    public LeastInFlightFactory(Random? random = null)
    {
        _random = random ?? Random.Shared;
    }

    /// <inheritdoc/>
    public LoadBalancerKind Kind => LoadBalancerKind.LeastInFlight;

    /// <inheritdoc/>
    public ILoadBalancer Create(LoadBalancerConfig config, NodeModel[] nodes) => new LeastInFlight(nodes, _random);
}
