using Gatehouse.Core.Config;
using Gatehouse.Gateway.Model;
using Microsoft.AspNetCore.Http;

namespace Gatehouse.Gateway.LoadBalancing;

/// <summary>
/// Picks a node at random with probability proportional to its weight: a uniform draw over the summed weights,
/// located by binary search in the cumulative weights (O(log n), lock-free, no allocation).
/// </summary>
/// <remarks>
/// Exclusion draws over the total minus the excluded node's weight and shifts draws that land at or past the
/// excluded node's range by its width, so the remaining nodes keep their relative weights with a single draw.
/// </remarks>
internal sealed class WeightedRandom : ILoadBalancer
{
    private readonly NodeModel[] _nodes;

    // _cumulative[i] is the sum of the weights of nodes 0..i, so node i owns draws in
    // [_cumulative[i] - weight i, _cumulative[i]).
    private readonly long[] _cumulative;
    private readonly Dictionary<NodeModel, int> _indexByNode;
    private readonly Random _random;

    /// <summary>Builds the cumulative weights for <paramref name="nodes"/> (never empty).</summary>
    /// <param name="nodes">The candidates.</param>
    /// <param name="random">Source of draws; must be thread-safe when the balancer is shared (<see cref="Random.Shared"/> is).</param>
    public WeightedRandom(NodeModel[] nodes, Random random)
    {
        ArgumentNullException.ThrowIfNull(random);
        var (eligible, weights) = BalancerCandidates.Eligible(nodes, weightWhenAllZero: 1);
        _nodes = eligible;
        _cumulative = new long[eligible.Length];
        long total = 0;
        for (var i = 0; i < weights.Length; i++)
        {
            total += weights[i];
            _cumulative[i] = total;
        }

        _indexByNode = BalancerCandidates.IndexByReference(eligible);
        _random = random;
    }

    /// <inheritdoc/>
    public NodeModel? Pick(HttpContext context, NodeModel? exclude)
    {
        var total = _cumulative[^1];
        if (exclude is null || !_indexByNode.TryGetValue(exclude, out var excluded))
        {
            return _nodes[FindOwner(_random.NextInt64(total))];
        }

        if (_nodes.Length == 1)
        {
            return null;
        }

        var end = _cumulative[excluded];
        var start = excluded == 0 ? 0 : _cumulative[excluded - 1];
        var draw = _random.NextInt64(total - (end - start));
        if (draw >= start)
        {
            draw += end - start;
        }

        return _nodes[FindOwner(draw)];
    }

    /// <summary>Index of the first node whose cumulative weight exceeds <paramref name="draw"/>.</summary>
    private int FindOwner(long draw)
    {
        var low = 0;
        var high = _cumulative.Length - 1;
        while (low < high)
        {
            var mid = (int)((uint)(low + high) >> 1);
            if (_cumulative[mid] > draw)
            {
                high = mid;
            }
            else
            {
                low = mid + 1;
            }
        }

        return low;
    }
}

/// <summary>Creates <see cref="WeightedRandom"/> balancers for <see cref="LoadBalancerKind.WeightedRandom"/>.</summary>
internal sealed class WeightedRandomFactory : ILoadBalancerFactory
{
    private readonly Random _random;

    /// <param name="random">Shared by every balancer created; defaults to <see cref="Random.Shared"/>.</param>
    public WeightedRandomFactory(Random? random = null)
    {
        _random = random ?? Random.Shared;
    }

    /// <inheritdoc/>
    public LoadBalancerKind Kind => LoadBalancerKind.WeightedRandom;

    /// <inheritdoc/>
    public ILoadBalancer Create(LoadBalancerConfig config, NodeModel[] nodes) => new WeightedRandom(nodes, _random);
}
