using Gatehouse.Gateway.Model;

namespace Gatehouse.Gateway.LoadBalancing;

/// <summary>Construction-time helpers shared by the balancers; nothing here runs per request.</summary>
internal static class BalancerCandidates
{
    /// <summary>
    /// Returns the nodes a weighted balancer may pick and their weights: every node with a positive weight or,
    /// when no candidate has one, every node with <paramref name="weightWhenAllZero"/>.
    /// </summary>
    /// <remarks>
    /// Weight 0 means "drained": such a node gets no traffic, not even a retry, while another node has weight.
    /// When all are 0 the operator has drained everything, and failing every request would be worse than
    /// spreading them evenly.
    /// Weights are <see cref="NodeModel.EffectiveWeight"/>: a node in slow start counts with its ramped weight.
    /// </remarks>
    public static (NodeModel[] Nodes, int[] Weights) Eligible(NodeModel[] nodes, int weightWhenAllZero)
    {
        ArgumentNullException.ThrowIfNull(nodes);
        if (nodes.Length == 0)
        {
            throw new ArgumentException("A balancer needs at least one candidate node.", nameof(nodes));
        }

        var positive = 0;
        foreach (var node in nodes)
        {
            if (node.EffectiveWeight > 0)
            {
                positive++;
            }
        }

        if (positive == 0)
        {
            var equal = new int[nodes.Length];
            Array.Fill(equal, weightWhenAllZero);
            return ((NodeModel[])nodes.Clone(), equal);
        }

        var eligible = new NodeModel[positive];
        var weights = new int[positive];
        var j = 0;
        foreach (var node in nodes)
        {
            if (node.EffectiveWeight > 0)
            {
                eligible[j] = node;
                weights[j] = node.EffectiveWeight;
                j++;
            }
        }

        return (eligible, weights);
    }

    /// <summary>
    /// Maps each node to its index by reference. Read-only after construction, so concurrent lookups are safe.
    /// </summary>
    public static Dictionary<NodeModel, int> IndexByReference(NodeModel[] nodes)
    {
        var index = new Dictionary<NodeModel, int>(nodes.Length, ReferenceEqualityComparer.Instance);
        for (var i = 0; i < nodes.Length; i++)
        {
            index.TryAdd(nodes[i], i);
        }

        return index;
    }

    /// <summary>
    /// For each entry of a circular sequence, the index of the next entry (going forward, wrapping around)
    /// that holds a different node, or -1 for every entry when the sequence holds a single node. Lets a
    /// balancer skip an excluded node in O(1) however long its run of consecutive entries is.
    /// </summary>
    public static int[] NextDifferent(NodeModel[] entries)
    {
        var length = entries.Length;
        var next = new int[length];

        // Find one boundary (an entry followed by a different node) to start the backward pass from.
        var boundary = -1;
        for (var i = 0; i < length; i++)
        {
            if (!ReferenceEquals(entries[i], entries[(i + 1) % length]))
            {
                boundary = i;
                break;
            }
        }

        if (boundary < 0)
        {
            Array.Fill(next, -1);
            return next;
        }

        // Walking backwards from the boundary, each entry either borders a different node or inherits the
        // answer of its successor, which has already been computed.
        for (var step = 0; step < length; step++)
        {
            var i = ((boundary - step) % length + length) % length;
            var successor = (i + 1) % length;
            next[i] = ReferenceEquals(entries[i], entries[successor]) ? next[successor] : successor;
        }

        return next;
    }
}
