using Gatehouse.Core.Config;
using Gatehouse.Gateway.Model;
using Microsoft.AspNetCore.Http;

namespace Gatehouse.Gateway.LoadBalancing;

/// <summary>
/// Smooth weighted round robin, producing exactly nginx's sequence (weights 5, 1, 1 for a, b, c give
/// a a b a c a a, repeating): heavy nodes are interleaved with light ones instead of being picked in bursts.
/// </summary>
/// <remarks>
/// nginx keeps a running "current weight" per peer and updates all of them under a lock on every pick
/// (<c>ngx_http_upstream_get_peer</c>). The sequence is periodic, so this class runs that algorithm once at
/// construction for one full cycle and stores the result; a pick is then one interlocked increment and an
/// array read, lock-free and O(1).
/// <para>
/// The cycle is as long as the sum of the weights after dividing them by their greatest common divisor
/// (100, 100, 50 becomes 2, 2, 1: the same sequence, since scaling every weight by a constant does not change
/// which peer has the largest current weight). If it would still exceed <see cref="MaxCycleLength"/> picks, the
/// weights are scaled down proportionally, keeping each at least 1, so a pathological weight set costs at most
/// about 1 MB; the shares then match the configured weights to within one pick per cycle per node.
/// </para>
/// <para>
/// Every instance starts at the beginning of the cycle, like nginx after a reload. The shared counter wraps
/// after 2^32 picks, which causes one out-of-sequence pick when the cycle length does not divide 2^32.
/// </para>
/// </remarks>
internal sealed class SmoothWeightedRoundRobin : ILoadBalancer
{
    /// <summary>Upper bound on the precomputed cycle; see the remarks.</summary>
    internal const int MaxCycleLength = 65_536;

    private readonly NodeModel[] _cycle;
    private readonly int[] _nextDifferent;

    // Starts at -1 so that the first Interlocked.Increment yields position 0, the start of nginx's sequence.
    private int _counter = -1;

    /// <summary>Precomputes one full cycle for <paramref name="nodes"/> (never empty).</summary>
    public SmoothWeightedRoundRobin(NodeModel[] nodes)
    {
        var (eligible, weights) = BalancerCandidates.Eligible(nodes, weightWhenAllZero: 1);
        _cycle = BuildCycle(eligible, ReduceWeights(weights));
        _nextDifferent = BalancerCandidates.NextDifferent(_cycle);
    }

    /// <summary>Length of the precomputed cycle (sum of the reduced weights).</summary>
    internal int CycleLength => _cycle.Length;

    /// <inheritdoc/>
    public NodeModel? Pick(HttpContext context, NodeModel? exclude)
    {
        // The uint cast keeps the index non-negative after the int counter wraps past int.MaxValue.
        var position = (int)((uint)Interlocked.Increment(ref _counter) % (uint)_cycle.Length);
        var node = _cycle[position];
        if (!ReferenceEquals(node, exclude))
        {
            return node;
        }

        var next = _nextDifferent[position];
        return next < 0 ? null : _cycle[next];
    }

    /// <summary>
    /// Divides the weights (all positive) by their gcd and, if their sum still exceeds
    /// <see cref="MaxCycleLength"/>, scales them down proportionally with a minimum of 1.
    /// </summary>
    internal static int[] ReduceWeights(int[] weights)
    {
        var reduced = DivideByGcd(weights);
        long total = 0;
        foreach (var weight in reduced)
        {
            total += weight;
        }

        if (total <= MaxCycleLength)
        {
            return reduced;
        }

        // Leave room for the rounding up to 1 of every node so the scaled sum stays within the bound (floor
        // scaling gives at most budget, and each bump to 1 adds at most 1 per node). Beyond MaxCycleLength / 2
        // nodes there is no room for weights at all, so each node appears once.
        var budget = MaxCycleLength - reduced.Length;
        var scaled = new int[reduced.Length];
        for (var i = 0; i < reduced.Length; i++)
        {
            scaled[i] = budget < reduced.Length ? 1 : (int)Math.Max(1, reduced[i] * (long)budget / total);
        }

        return DivideByGcd(scaled);
    }

    /// <summary>Runs nginx's smooth weighted round robin for one full cycle.</summary>
    internal static NodeModel[] BuildCycle(NodeModel[] nodes, int[] weights)
    {
        long total = 0;
        foreach (var weight in weights)
        {
            total += weight;
        }

        var current = new long[nodes.Length];
        var cycle = new NodeModel[total];
        for (var pick = 0; pick < cycle.Length; pick++)
        {
            // As in ngx_http_upstream_get_peer: every peer gains its weight, the first peer with the largest
            // current weight wins (strict '>' keeps the earliest on ties) and pays back the total.
            var best = 0;
            for (var i = 0; i < nodes.Length; i++)
            {
                current[i] += weights[i];
                if (current[i] > current[best])
                {
                    best = i;
                }
            }

            current[best] -= total;
            cycle[pick] = nodes[best];
        }

        return cycle;
    }

    private static int[] DivideByGcd(int[] weights)
    {
        var gcd = 0;
        foreach (var weight in weights)
        {
            gcd = Gcd(gcd, weight);
        }

        var reduced = new int[weights.Length];
        for (var i = 0; i < weights.Length; i++)
        {
            reduced[i] = weights[i] / gcd;
        }

        return reduced;
    }

    private static int Gcd(int a, int b)
    {
        while (b != 0)
        {
            (a, b) = (b, a % b);
        }

        return a;
    }
}

/// <summary>Creates <see cref="SmoothWeightedRoundRobin"/> balancers for <see cref="LoadBalancerKind.RoundRobin"/>.</summary>
internal sealed class SmoothWeightedRoundRobinFactory : ILoadBalancerFactory
{
    /// <inheritdoc/>
    public LoadBalancerKind Kind => LoadBalancerKind.RoundRobin;

    /// <inheritdoc/>
    public ILoadBalancer Create(LoadBalancerConfig config, NodeModel[] nodes) => new SmoothWeightedRoundRobin(nodes);
}
