using System.Net;
using Gatehouse.Core.Config;
using Gatehouse.Core.Hashing;
using Gatehouse.Gateway.LoadBalancing;
using Gatehouse.Gateway.Model;
using Microsoft.AspNetCore.Http;

namespace Gatehouse.Gateway.Tests.LoadBalancing;

public sealed class ConsistentHashTests
{
    private const int Keys = 100_000;

    [Fact]
    public void Pick_SameKey_SameNodeAcrossInstancesAndCandidateOrder()
    {
        var nodes = TestNodes.WithWeights(100, 100, 100, 100, 100);
        var first = HeaderRing(nodes);
        var again = HeaderRing(nodes);
        var reversed = HeaderRing(nodes.Reverse().ToArray());

        for (var i = 0; i < 2000; i++)
        {
            var context = WithHeader("user-" + i);
            var node = first.Pick(context, null);
            Assert.Same(node, first.Pick(context, null));
            Assert.Same(node, again.Pick(context, null));
            Assert.Same(node, reversed.Pick(context, null));
        }
    }

    [Fact]
    public void Pick_DifferentKeys_SpreadOverAllNodes()
    {
        var nodes = TestNodes.WithWeights(100, 100, 100, 100);
        var ring = HeaderRing(nodes);

        var counts = new int[nodes.Length];
        for (var i = 0; i < 1000; i++)
        {
            counts[Array.IndexOf(nodes, ring.Pick(WithHeader("user-" + i), null))]++;
        }

        Assert.All(counts, c => Assert.True(c > 100, $"counts {string.Join(",", counts)}"));
    }

    // Each case builds a request carrying the key in one place; the balancer must route every key exactly as
    // the ring does for the hash of that key's text (or address bytes).
    [Theory]
    [InlineData(HashKeySource.Header)]
    [InlineData(HashKeySource.Query)]
    [InlineData(HashKeySource.Path)]
    [InlineData(HashKeySource.ClientIp)]
    public void Pick_KeySource_RoutesByHashOfThatKey(HashKeySource source)
    {
        var ring = new ConsistentHash(TestNodes.WithWeights(100, 100, 100, 100), source, "user", 160);

        for (var i = 0; i < 200; i++)
        {
            var context = new DefaultHttpContext();
            // A decoy client IP on every request proves the key, not the fallback, was used.
            context.Connection.RemoteIpAddress = IPAddress.Parse("192.0.2.1");
            ulong expectedHash;
            switch (source)
            {
                case HashKeySource.Header:
                    context.Request.Headers["user"] = "u" + i;
                    expectedHash = XxHash64.HashUtf8("u" + i);
                    break;
                case HashKeySource.Query:
                    context.Request.QueryString = new QueryString("?other=x&user=u" + i);
                    expectedHash = XxHash64.HashUtf8("u" + i);
                    break;
                case HashKeySource.Path:
                    context.Request.Path = "/orders/" + i;
                    expectedHash = XxHash64.HashUtf8("/orders/" + i);
                    break;
                default:
                    var address = new IPAddress([10, 1, (byte)(i / 256), (byte)i]);
                    context.Connection.RemoteIpAddress = address;
                    expectedHash = HashKeyReader.HashAddress(address);
                    break;
            }

            Assert.Same(ring.PickByHash(expectedHash, null), ring.Pick(context, null));
        }
    }

    [Theory]
    [InlineData(HashKeySource.Header)]
    [InlineData(HashKeySource.Query)]
    public void Pick_KeyMissingOrEmpty_FallsBackToClientIp(HashKeySource source)
    {
        var ring = new ConsistentHash(TestNodes.WithWeights(100, 100, 100, 100), source, "user", 160);

        for (var i = 0; i < 200; i++)
        {
            var address = new IPAddress([172, 16, (byte)(i / 256), (byte)i]);
            var missing = new DefaultHttpContext();
            missing.Connection.RemoteIpAddress = address;
            var empty = new DefaultHttpContext();
            empty.Connection.RemoteIpAddress = address;
            empty.Request.Headers["user"] = "";
            empty.Request.QueryString = new QueryString("?user=");

            var expected = ring.PickByHash(HashKeyReader.HashAddress(address), null);
            Assert.Same(expected, ring.Pick(missing, null));
            Assert.Same(expected, ring.Pick(empty, null));
        }
    }

    [Fact]
    public void Pick_NoKeyAndNoClientIp_FirstNodeOnRing()
    {
        var ring = new ConsistentHash(TestNodes.WithWeights(100, 100, 100), HashKeySource.Header, "user", 160);

        var node = ring.Pick(new DefaultHttpContext(), null);

        Assert.Same(ring.PickByHash(0, null), node);
        Assert.Same(ring.PickByHash(1, null), node);
    }

    [Fact]
    public void Pick_WeightedNodes_SharesRoughlyProportionalToWeight()
    {
        int[] weights = [100, 200, 100, 300];
        var nodes = TestNodes.WithWeights(weights);
        var ring = HeaderRing(nodes);

        var counts = CountByHash(ring, nodes);

        double total = weights.Sum();
        for (var i = 0; i < weights.Length; i++)
        {
            Assert.InRange((double)counts[i] / Keys, weights[i] / total - 0.03, weights[i] / total + 0.03);
        }
    }

    [Theory]
    [InlineData(new[] { 100, 100 }, null, 320)]
    [InlineData(new[] { 100, 50 }, 10, 15)]
    [InlineData(new[] { 100, 1 }, 10, 11)]
    [InlineData(new[] { 0, 100, 0 }, 20, 20)]
    [InlineData(new[] { 0, 0 }, 20, 40)]
    public void RingSize_WeightsAndVirtualNodes_ProportionalWithMinimumOne(int[] weights, int? virtualNodes, int expected)
    {
        var config = new LoadBalancerConfig { Kind = LoadBalancerKind.ConsistentHash, VirtualNodes = virtualNodes };

        var ring = (ConsistentHash)new ConsistentHashFactory().Create(config, TestNodes.WithWeights(weights));

        Assert.Equal(expected, ring.RingSize);
    }

    [Fact]
    public void Pick_ZeroWeightNodeAmongWeighted_NeverPicked()
    {
        var nodes = TestNodes.WithWeights(100, 0, 100);
        var ring = HeaderRing(nodes);

        var counts = CountByHash(ring, nodes);

        Assert.Equal(0, counts[1]);
    }

    [Theory]
    [InlineData(4)]
    [InlineData(9)]
    public void Pick_OneNodeAdded_AboutOneShareMovesAndOnlyToTheNewNode(int n)
    {
        var before = TestNodes.WithWeights(Enumerable.Repeat(100, n).ToArray());
        var added = TestNodes.Node("n" + n);
        var oldRing = HeaderRing(before);
        var newRing = HeaderRing([.. before, added]);

        var moved = 0;
        for (var i = 0; i < Keys; i++)
        {
            var hash = KeyHash(i);
            var oldNode = oldRing.PickByHash(hash, null);
            var newNode = newRing.PickByHash(hash, null);
            if (!ReferenceEquals(oldNode, newNode))
            {
                moved++;
                Assert.Same(added, newNode);
            }
        }

        var expected = 1.0 / (n + 1);
        Assert.InRange((double)moved / Keys, 0.5 * expected, 1.5 * expected);
    }

    [Fact]
    public void Pick_OneNodeRemoved_OnlyItsKeysMove()
    {
        var nodes = TestNodes.WithWeights(100, 100, 100, 100, 100);
        var removed = nodes[2];
        var oldRing = HeaderRing(nodes);
        var newRing = HeaderRing(nodes.Where(x => x != removed).ToArray());

        var movedKeys = 0;
        for (var i = 0; i < Keys; i++)
        {
            var hash = KeyHash(i);
            var oldNode = oldRing.PickByHash(hash, null);
            var newNode = newRing.PickByHash(hash, null);
            if (oldNode == removed)
            {
                movedKeys++;
                Assert.NotSame(removed, newNode);
            }
            else
            {
                Assert.Same(oldNode, newNode);
            }
        }

        Assert.InRange(movedKeys, 1, Keys / 2);
    }

    [Fact]
    public void Pick_ExcludedNode_GoesWhereTheKeyWouldGoWithoutThatNode()
    {
        var nodes = TestNodes.WithWeights(100, 200, 100, 50);
        var ring = HeaderRing(nodes);

        foreach (var excluded in nodes)
        {
            var without = HeaderRing(nodes.Where(x => x != excluded).ToArray());
            for (var i = 0; i < 5000; i++)
            {
                var hash = KeyHash(i);
                var node = ring.PickByHash(hash, excluded);
                Assert.NotSame(excluded, node);
                Assert.Same(without.PickByHash(hash, null), node);
            }
        }
    }

    [Fact]
    public void Pick_OnlyNodeExcluded_ReturnsNull()
    {
        var nodes = TestNodes.WithWeights(100, 0);
        var ring = HeaderRing(nodes);

        Assert.Null(ring.Pick(WithHeader("k"), nodes[0]));
        Assert.Same(nodes[0], ring.Pick(WithHeader("k"), nodes[1]));
    }

    [Theory]
    [InlineData(HashKeySource.Header, null, 160)]
    [InlineData(HashKeySource.Query, "", 160)]
    [InlineData(HashKeySource.ClientIp, null, 0)]
    public void Constructor_InvalidConfig_Throws(HashKeySource source, string? name, int virtualNodes)
    {
        Assert.ThrowsAny<ArgumentException>(() => new ConsistentHash(TestNodes.WithWeights(100), source, name, virtualNodes));
    }

    [Fact]
    public void Pick_HeaderKeyAndClientIpKey_DoNotAllocate()
    {
        var nodes = TestNodes.WithWeights(100, 100, 100);
        var byHeader = HeaderRing(nodes);
        var byIp = new ConsistentHash(nodes, HashKeySource.ClientIp, null, 160);
        var context = WithHeader("some-user-id");
        context.Connection.RemoteIpAddress = IPAddress.Parse("2001:db8::1");
        byHeader.Pick(context, nodes[0]);
        byIp.Pick(context, nodes[0]);

        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 0; i < 1000; i++)
        {
            byHeader.Pick(context, null);
            byHeader.Pick(context, nodes[0]);
            byIp.Pick(context, null);
        }

        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }

    // Ring positions are part of the contract: a gateway on a new release must send each key to the node an
    // older one did, or every sticky session moves during a rolling upgrade. These owners were recorded with
    // the ring as first released (hash of "{nodeId}#{i}", 160 virtual nodes per weight-100 node).
    [Fact]
    public void Pick_RecordedKeys_SameOwnersAsFirstRelease()
    {
        const string Recorded = "n2,n3,n4,n1,n3,n2,n1,n3,n2,n0,n0,n1,n2,n1,n2,n1,n2,n3,n0,n2,n0,n4,n0,n2";
        var nodes = TestNodes.WithWeights(100, 100, 100, 100, 100);
        var ring = HeaderRing(nodes);

        var owners = new string[24];
        for (var i = 0; i < owners.Length; i++)
        {
            owners[i] = ring.Pick(WithHeader("user-" + i), null)!.Id;
        }

        Assert.Equal(Recorded, string.Join(",", owners));
    }

    private static ConsistentHash HeaderRing(NodeModel[] nodes) =>
        new(nodes, HashKeySource.Header, "x-user", ConsistentHash.DefaultVirtualNodesPer100);

    private static HttpContext WithHeader(string value)
    {
        var context = new DefaultHttpContext();
        context.Request.Headers["x-user"] = value;
        return context;
    }

    private static ulong KeyHash(int i) => XxHash64.HashUtf8("key-" + i);

    private static int[] CountByHash(ConsistentHash ring, NodeModel[] nodes)
    {
        var counts = new int[nodes.Length];
        for (var i = 0; i < Keys; i++)
        {
            counts[Array.IndexOf(nodes, ring.PickByHash(KeyHash(i), null))]++;
        }

        return counts;
    }
}
