using System.Net;
using Gatehouse.Core.Config;
using Gatehouse.Gateway.LoadBalancing;
using Gatehouse.Gateway.Model;
using Microsoft.AspNetCore.Http;

namespace Gatehouse.Gateway.Tests.LoadBalancing;

public sealed class LoadBalancerRegistryTests
{
    public static TheoryData<LoadBalancerKind, Type> KindsAndTypes => new()
    {
        { LoadBalancerKind.RoundRobin, typeof(SmoothWeightedRoundRobin) },
        { LoadBalancerKind.WeightedRandom, typeof(WeightedRandom) },
        { LoadBalancerKind.ConsistentHash, typeof(ConsistentHash) },
        { LoadBalancerKind.LeastInFlight, typeof(LeastInFlight) },
    };

    [Fact]
    public void CreateDefault_EveryKind_Supported()
    {
        var registry = LoadBalancerRegistry.CreateDefault();

        Assert.All(Enum.GetValues<LoadBalancerKind>(), kind => Assert.True(registry.Supports(kind), kind.ToString()));
        Assert.Equal(Enum.GetValues<LoadBalancerKind>().Length, KindsAndTypes.Count);
    }

    [Theory]
    [MemberData(nameof(KindsAndTypes))]
    public void Create_Kind_BalancerOfThatKindThatPicksACandidate(LoadBalancerKind kind, Type expectedType)
    {
        var registry = LoadBalancerRegistry.CreateDefault(new Random(1));
        var nodes = TestNodes.WithWeights(100, 200);
        var context = new DefaultHttpContext();
        context.Connection.RemoteIpAddress = IPAddress.Loopback;

        var balancer = registry.Create(new LoadBalancerConfig { Kind = kind }, nodes);

        Assert.IsType(expectedType, balancer);
        Assert.Contains(balancer.Pick(context, null), nodes);
    }

    [Fact]
    public void Constructor_DuplicateKind_Throws()
    {
        var error = Assert.Throws<ArgumentException>(() => new LoadBalancerRegistry(
            [new WeightedRandomFactory(), new SmoothWeightedRoundRobinFactory(), new WeightedRandomFactory()]));

        Assert.Contains(nameof(LoadBalancerKind.WeightedRandom), error.Message);
    }

    [Fact]
    public void Create_KindWithoutFactory_Throws()
    {
        var registry = new LoadBalancerRegistry([new SmoothWeightedRoundRobinFactory()]);

        Assert.False(registry.Supports(LoadBalancerKind.LeastInFlight));
        Assert.Throws<InvalidOperationException>(() =>
            registry.Create(new LoadBalancerConfig { Kind = LoadBalancerKind.LeastInFlight }, TestNodes.WithWeights(1)));
    }

    [Fact]
    public void Create_NoNodes_Throws()
    {
        var registry = LoadBalancerRegistry.CreateDefault();

        Assert.Throws<ArgumentException>(() => registry.Create(new LoadBalancerConfig(), Array.Empty<NodeModel>()));
    }

    [Fact]
    public void Create_ConsistentHashConfig_UsesConfiguredKeyAndVirtualNodes()
    {
        var registry = LoadBalancerRegistry.CreateDefault();
        var config = new LoadBalancerConfig
        {
            Kind = LoadBalancerKind.ConsistentHash,
            HashKey = new HashKeyConfig { Source = HashKeySource.Header, Name = "x-user" },
            VirtualNodes = 40,
        };
        var nodes = TestNodes.WithWeights(100, 100, 100);

        var ring = Assert.IsType<ConsistentHash>(registry.Create(config, nodes));

        Assert.Equal(120, ring.RingSize);
        var context = new DefaultHttpContext();
        context.Request.Headers["x-user"] = "alice";
        Assert.Same(ring.PickByHash(Core.Hashing.XxHash64.HashUtf8("alice"), null), ring.Pick(context, null));
    }
}
