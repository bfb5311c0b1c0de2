using Gatehouse.Core.Config;
using Gatehouse.Core.Hashing;
using Gatehouse.Gateway.Model;
using Microsoft.AspNetCore.Http;

namespace Gatehouse.Gateway.LoadBalancing;

/// <summary>
/// Consistent hashing on a ring of virtual nodes: a request goes to the owner of the first ring position at or
/// clockwise after the hash of its key, so the same key keeps its node, and adding or removing a node only moves
/// the keys of the ring arcs that node gains or loses.
/// </summary>
/// <remarks>
/// Each node gets <c>virtualNodesPer100 * weight / 100</c> positions (rounded, at least 1; default 160 per
/// weight 100, as in Dubbo and Ketama-style clients), at <c>XxHash64("{node.Id}#{i}")</c> for i = 0, 1, ....
/// Positions depend only on the id and weight, so the ring, and every key's node, is the same whatever the
/// order of the candidates, and a weight change only adds or removes that node's own positions. Node ids must
/// be unique among the candidates: two nodes with one id would share positions.
/// <para>
/// The key comes from <see cref="HashKeyReader"/>: a missing or empty key falls back to the client IP; with no
/// client IP either, the request goes to the first node on the ring (the lookup of hash 0), so keyless traffic
/// lands on one node instead of failing.
/// </para>
/// <para>
/// Exclusion walks clockwise from the key's position to the next position owned by a different node, which is
/// where the key would go if the excluded node left the ring; a precomputed table makes this O(1).
/// </para>
/// <para>
/// The ring is capped at <see cref="MaxRingSize"/> positions (a few MB) by scaling every node's count down
/// proportionally; only pathological weights or virtual-node settings reach the cap.
/// </para>
/// </remarks>
internal sealed class ConsistentHash : ILoadBalancer
{
    /// <summary>Virtual nodes of a weight-100 node unless <see cref="LoadBalancerConfig.VirtualNodes"/> says otherwise.</summary>
    public const int DefaultVirtualNodesPer100 = 160;

    /// <summary>Upper bound on ring positions; see the remarks.</summary>
    internal const int MaxRingSize = 1 << 18;

    private readonly HashKeySource _source;
    private readonly string? _keyName;

    // Parallel arrays sorted by position: _positions ascending, _owners[i] owns _positions[i].
    private readonly ulong[] _positions;
    private readonly NodeModel[] _owners;
    private readonly int[] _nextDifferent;

    /// <summary>Builds the ring for <paramref name="nodes"/> (never empty).</summary>
    public ConsistentHash(NodeModel[] nodes, HashKeySource source, string? keyName, int virtualNodesPer100)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(virtualNodesPer100, 1);
        if (source is HashKeySource.Header or HashKeySource.Query && string.IsNullOrEmpty(keyName))
        {
            throw new ArgumentException($"A {source} hash key needs the name of the {source.ToString().ToLowerInvariant()} to read.", nameof(keyName));
        }

        _source = source;
        _keyName = keyName;

        // When every weight is 0 all nodes count as weight 100, so they get the configured number of positions.
        var (eligible, weights) = BalancerCandidates.Eligible(nodes, weightWhenAllZero: 100);
        var counts = VirtualNodeCounts(weights, virtualNodesPer100);
        (_positions, _owners) = BuildRing(eligible, counts);
        _nextDifferent = BalancerCandidates.NextDifferent(_owners);
    }

    /// <summary>Number of positions on the ring.</summary>
    internal int RingSize => _positions.Length;

    /// <inheritdoc/>
    public NodeModel? Pick(HttpContext context, NodeModel? exclude)
    {
        // No key and no client IP: hash 0 selects the first position of the ring (see the remarks).
        HashKeyReader.TryHash(context, _source, _keyName, out var hash);
        return PickByHash(hash, exclude);
    }

    /// <summary>The node owning <paramref name="hash"/>, skipping <paramref name="exclude"/>.</summary>
    internal NodeModel? PickByHash(ulong hash, NodeModel? exclude)
    {
        var position = FindPosition(hash);
        var node = _owners[position];
        if (!ReferenceEquals(node, exclude))
        {
            return node;
        }

        var next = _nextDifferent[position];
        return next < 0 ? null : _owners[next];
    }

    /// <summary>Index of the first position at or after <paramref name="hash"/>, wrapping past the end to 0.</summary>
    private int FindPosition(ulong hash)
    {
        var low = 0;
        var high = _positions.Length;
        while (low < high)
        {
            var mid = (int)((uint)(low + high) >> 1);
            if (_positions[mid] < hash)
            {
                low = mid + 1;
            }
            else
            {
                high = mid;
            }
        }

        return low == _positions.Length ? 0 : low;
    }

    private static int[] VirtualNodeCounts(int[] weights, int virtualNodesPer100)
    {
        var counts = new int[weights.Length];
        long total = 0;
        for (var i = 0; i < weights.Length; i++)
        {
            // Rounded to nearest; long because weight * virtual nodes can exceed int.
            var count = Math.Max(1, (weights[i] * (long)virtualNodesPer100 + 50) / 100);
            counts[i] = (int)Math.Min(count, MaxRingSize);
            total += counts[i];
        }

        if (total > MaxRingSize)
        {
            // Same headroom argument as SmoothWeightedRoundRobin.ReduceWeights: floor scaling plus at most one
            // per node for the minimum of 1 stays within the cap.
            var budget = Math.Max(MaxRingSize - weights.Length, 0);
            for (var i = 0; i < counts.Length; i++)
            {
                counts[i] = (int)Math.Max(1, counts[i] * (long)budget / total);
            }
        }

        return counts;
    }

    private static (ulong[] Positions, NodeModel[] Owners) BuildRing(NodeModel[] nodes, int[] counts)
    {
        var size = 0;
        foreach (var count in counts)
        {
            size += count;
        }

        var entries = new (ulong Position, NodeModel Owner)[size];
        var e = 0;
        for (var n = 0; n < nodes.Length; n++)
        {
            var node = nodes[n];
            for (var i = 0; i < counts[n]; i++)
            {
                entries[e++] = (XxHash64.HashUtf8($"{node.Id}#{i}"), node);
            }
        }

        // Ties (a 64-bit collision, or duplicate ids) are broken by id so the ring does not depend on the order
        // of the candidates.
        Array.Sort(entries, static (a, b) =>
        {
            var byPosition = a.Position.CompareTo(b.Position);
            return byPosition != 0 ? byPosition : string.CompareOrdinal(a.Owner.Id, b.Owner.Id);
        });

        var positions = new ulong[size];
        var owners = new NodeModel[size];
        for (var i = 0; i < size; i++)
        {
            (positions[i], owners[i]) = entries[i];
        }

        return (positions, owners);
    }
}

/// <summary>Creates <see cref="ConsistentHash"/> balancers for <see cref="LoadBalancerKind.ConsistentHash"/>.</summary>
/// <remarks>
/// Reads <see cref="LoadBalancerConfig.HashKey"/> (default: client IP) and <see cref="LoadBalancerConfig.VirtualNodes"/>
/// (default <see cref="ConsistentHash.DefaultVirtualNodesPer100"/>). Throws for a Header or Query key without a
/// name, or fewer than 1 virtual node, which config validation should have rejected.
/// </remarks>
internal sealed class ConsistentHashFactory : ILoadBalancerFactory
{
    /// <inheritdoc/>
    public LoadBalancerKind Kind => LoadBalancerKind.ConsistentHash;

    /// <inheritdoc/>
    public ILoadBalancer Create(LoadBalancerConfig config, NodeModel[] nodes)
    {
        ArgumentNullException.ThrowIfNull(config);
        var key = config.HashKey ?? new HashKeyConfig();
        return new ConsistentHash(nodes, key.Source, key.Name,
            config.VirtualNodes ?? ConsistentHash.DefaultVirtualNodesPer100);
    }
}
