using Gatehouse.Gateway.LoadBalancing;
using Microsoft.AspNetCore.Http;

namespace Gatehouse.Gateway.Tests.LoadBalancing;

public sealed class SmoothWeightedRoundRobinTests
{
    private static readonly HttpContext Context = new DefaultHttpContext();

    [Fact]
    public void Pick_NginxDocumentedWeights_ProducesNginxSequence()
    {
        var a = TestNodes.Node("a", 5);
        var b = TestNodes.Node("b", 1);
        var c = TestNodes.Node("c", 1);
        var balancer = new SmoothWeightedRoundRobin([a, b, c]);

        var picked = string.Concat(Enumerable.Range(0, 21).Select(_ => balancer.Pick(Context, null)!.Id));

        Assert.Equal("aabacaa" + "aabacaa" + "aabacaa", picked);
    }

    [Theory]
    [InlineData(new[] { 5, 1, 1 })]
    [InlineData(new[] { 1, 1, 1 })]
    [InlineData(new[] { 3, 2 })]
    [InlineData(new[] { 1, 2, 3, 4 })]
    [InlineData(new[] { 10, 2, 2 })]
    [InlineData(new[] { 100, 50, 25 })]
    [InlineData(new[] { 7, 3, 1, 9 })]
    [InlineData(new[] { 97, 89, 83, 79, 73 })]
    [InlineData(new[] { 2, 0, 3 })]
    [InlineData(new[] { 42 })]
    public void Pick_WeightSet_MatchesReferenceOverThreeCycles(int[] weights)
    {
        var nodes = TestNodes.WithWeights(weights);
        var balancer = new SmoothWeightedRoundRobin(nodes);
        var picks = 3 * weights.Sum();

        var expected = ReferenceSequence(weights, picks).Select(i => nodes[i]).ToArray();
        var actual = Enumerable.Range(0, picks).Select(_ => balancer.Pick(Context, null)).ToArray();

        Assert.Equal(expected, actual);
    }

    [Theory]
    [InlineData(new[] { 500, 100, 100 }, 7)]
    [InlineData(new[] { 100, 100, 100 }, 3)]
    [InlineData(new[] { 6, 4 }, 5)]
    [InlineData(new[] { 7, 3 }, 10)]
    [InlineData(new[] { 200, 0, 300 }, 5)]
    [InlineData(new[] { 0, 0, 0, 0 }, 4)]
    public void CycleLength_Weights_SumDividedByGcd(int[] weights, int expected)
    {
        var balancer = new SmoothWeightedRoundRobin(TestNodes.WithWeights(weights));

        Assert.Equal(expected, balancer.CycleLength);
    }

    [Fact]
    public void ReduceWeights_CycleAboveLimit_ScaledProportionallyKeepingEachAtLeastOne()
    {
        int[] weights = [1_000_000, 1, 500_000, 250_001];

        var reduced = SmoothWeightedRoundRobin.ReduceWeights(weights);

        Assert.True(reduced.Sum() <= SmoothWeightedRoundRobin.MaxCycleLength, $"sum {reduced.Sum()}");
        Assert.All(reduced, w => Assert.True(w >= 1));
        Assert.Equal(1, reduced[1]);
        Assert.Equal(2.0, (double)reduced[0] / reduced[2], 2);
        Assert.Equal(4.0, (double)reduced[0] / reduced[3], 2);
    }

    [Fact]
    public void Pick_HugeWeights_CycleWithinLimitAndSharesFollowWeights()
    {
        var nodes = TestNodes.WithWeights(3_000_000, 1_000_000, 7);
        var balancer = new SmoothWeightedRoundRobin(nodes);

        var length = balancer.CycleLength;
        var counts = TestNodes.CountPicks(nodes, () => balancer.Pick(Context, null), length);

        Assert.InRange(length, 1, SmoothWeightedRoundRobin.MaxCycleLength);
        Assert.Equal(3.0, (double)counts[0] / counts[1], 2);
        Assert.Equal(1, counts[2]);
    }

    [Fact]
    public void Pick_AllWeightsZero_PlainRoundRobin()
    {
        var nodes = TestNodes.WithWeights(0, 0, 0);
        var balancer = new SmoothWeightedRoundRobin(nodes);

        var picked = string.Join(",", Enumerable.Range(0, 6).Select(_ => balancer.Pick(Context, null)!.Id));

        Assert.Equal("n0,n1,n2,n0,n1,n2", picked);
    }

    [Fact]
    public void Pick_ZeroWeightNodeAmongWeighted_NeverPicked()
    {
        var nodes = TestNodes.WithWeights(3, 0, 1);
        var balancer = new SmoothWeightedRoundRobin(nodes);

        var counts = TestNodes.CountPicks(nodes, () => balancer.Pick(Context, null), 400);

        Assert.Equal([300, 0, 100], counts);
    }

    [Fact]
    public void Pick_ExcludedNodeAtPosition_ReturnsNextEntryOfAnotherNode()
    {
        // Cycle a a b a c a a: where the cycle says a, the next entry that is not a is returned
        // (wrapping from the last a to the b at position 2).
        var a = TestNodes.Node("a", 5);
        var balancer = new SmoothWeightedRoundRobin([a, TestNodes.Node("b", 1), TestNodes.Node("c", 1)]);

        var picked = string.Concat(Enumerable.Range(0, 14).Select(_ => balancer.Pick(Context, a)!.Id));

        Assert.Equal("bbbccbb" + "bbbccbb", picked);
    }

    [Fact]
    public void Pick_ExcludedNodeNotAtPosition_KeepsSequence()
    {
        var nodes = TestNodes.WithWeights(5, 1, 1);
        var balancer = new SmoothWeightedRoundRobin(nodes);

        var picked = string.Concat(Enumerable.Range(0, 7).Select(_ => balancer.Pick(Context, nodes[2])!.Id[1..]));

        // Only the position of n2 (the fifth) changes: it moves on to the following n0.
        Assert.Equal("0010000", picked);
    }

    [Fact]
    public void Pick_OnlyNodeExcluded_ReturnsNull()
    {
        var node = TestNodes.Node("only", 100);
        var balancer = new SmoothWeightedRoundRobin([node]);

        Assert.Null(balancer.Pick(Context, node));
        Assert.Same(node, balancer.Pick(Context, null));
    }

    [Fact]
    public void Pick_OnlyWeightedNodeExcluded_ReturnsNullRatherThanZeroWeightNode()
    {
        var nodes = TestNodes.WithWeights(100, 0);
        var balancer = new SmoothWeightedRoundRobin(nodes);

        Assert.Null(balancer.Pick(Context, nodes[0]));
    }

    [Fact]
    public void Pick_ExcludeIsNotACandidate_Ignored()
    {
        var nodes = TestNodes.WithWeights(1, 1);
        var balancer = new SmoothWeightedRoundRobin(nodes);

        var stranger = TestNodes.Node("n0", 1);

        Assert.Same(nodes[0], balancer.Pick(Context, stranger));
        Assert.Same(nodes[1], balancer.Pick(Context, stranger));
    }

    [Fact]
    public void Pick_ConcurrentThreadsOverWholeCycles_ExactCountsPerNode()
    {
        var nodes = TestNodes.WithWeights(5, 3, 2);
        var balancer = new SmoothWeightedRoundRobin(nodes);
        const int threads = 4;
        const int picksPerThread = 250_000; // 1,000,000 picks = 100,000 cycles of 10
        var counts = new int[threads, nodes.Length];
        using var start = new Barrier(threads);

        var workers = Enumerable.Range(0, threads).Select(t => new Thread(() =>
        {
            start.SignalAndWait();
            for (var i = 0; i < picksPerThread; i++)
            {
                var node = balancer.Pick(Context, null)!;
                counts[t, Array.IndexOf(nodes, node)]++;
            }
        })).ToArray();
        foreach (var worker in workers)
        {
            worker.Start();
        }

        foreach (var worker in workers)
        {
            worker.Join();
        }

        var totals = new int[nodes.Length];
        for (var t = 0; t < threads; t++)
        {
            for (var n = 0; n < nodes.Length; n++)
            {
                totals[n] += counts[t, n];
            }
        }

        Assert.Equal([500_000, 300_000, 200_000], totals);
    }

    [Fact]
    public void Pick_WithAndWithoutExclusion_DoesNotAllocate()
    {
        var nodes = TestNodes.WithWeights(5, 3, 2);
        var balancer = new SmoothWeightedRoundRobin(nodes);
        balancer.Pick(Context, null);
        balancer.Pick(Context, nodes[0]);

        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 0; i < 1000; i++)
        {
            balancer.Pick(Context, null);
            balancer.Pick(Context, nodes[0]);
        }

        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }

    /// <summary>
    /// nginx's ngx_http_upstream_get_peer written out directly: every peer gains its weight, the first peer
    /// with the largest current weight is chosen and loses the total. No cycle, no gcd, no skipping.
    /// </summary>
    private static List<int> ReferenceSequence(int[] weights, int picks)
    {
        var current = new long[weights.Length];
        var total = weights.Sum();
        var sequence = new List<int>(picks);
        for (var p = 0; p < picks; p++)
        {
            var best = -1;
            for (var i = 0; i < weights.Length; i++)
            {
                current[i] += weights[i];
                if (best == -1 || current[i] > current[best])
                {
                    best = i;
                }
            }

            current[best] -= total;
            sequence.Add(best);
        }

        return sequence;
    }
}
