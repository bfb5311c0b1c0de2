using System.Collections.Frozen;
using Gatehouse.Core.Config;
using Gatehouse.Gateway.Model;

namespace Gatehouse.Gateway.LoadBalancing;

/// <summary>
/// Maps each <see cref="LoadBalancerKind"/> to its factory and creates balancers for compiled node sets. Used
/// when a snapshot is compiled, never per request.
/// </summary>
internal sealed class LoadBalancerRegistry : ILoadBalancerProvider
{
    private readonly FrozenDictionary<LoadBalancerKind, ILoadBalancerFactory> _factories;

    /// <summary>Indexes <paramref name="factories"/> by kind.</summary>
    /// <exception cref="ArgumentException">Two factories claim the same kind.</exception>
    public LoadBalancerRegistry(IEnumerable<ILoadBalancerFactory> factories)
    {
        ArgumentNullException.ThrowIfNull(factories);
        var byKind = new Dictionary<LoadBalancerKind, ILoadBalancerFactory>();
        foreach (var factory in factories)
        {
            if (!byKind.TryAdd(factory.Kind, factory))
            {
                throw new ArgumentException(
                    $"Load balancer kind {factory.Kind} has two factories: {byKind[factory.Kind].GetType().Name} and {factory.GetType().Name}.",
                    nameof(factories));
            }
        }

        _factories = byKind.ToFrozenDictionary();
    }

    /// <summary>A registry with the built-in factory of every <see cref="LoadBalancerKind"/>.</summary>
    /// <param name="random">Draws for the random balancers; defaults to <see cref="Random.Shared"/>. A seeded
    /// <see cref="Random"/> is not thread-safe, so pass one only where picks are single-threaded (tests).</param>
    public static LoadBalancerRegistry CreateDefault(Random? random = null) => new(
    [
        new SmoothWeightedRoundRobinFactory(),
        new WeightedRandomFactory(random),
        new ConsistentHashFactory(),
        new LeastInFlightFactory(random),
    ]);

    /// <summary>Whether a factory is registered for <paramref name="kind"/> (for config validation).</summary>
    public bool Supports(LoadBalancerKind kind) => _factories.ContainsKey(kind);

    /// <summary>Creates the balancer <paramref name="config"/> asks for over <paramref name="nodes"/>.</summary>
    /// <param name="config">The effective balancer config.</param>
    /// <param name="nodes">Candidates after routing; must not be empty. The array is not kept or modified.</param>
    /// <exception cref="InvalidOperationException">No factory is registered for the kind.</exception>
    public ILoadBalancer Create(LoadBalancerConfig config, NodeModel[] nodes)
    {
        ArgumentNullException.ThrowIfNull(config);
        ArgumentNullException.ThrowIfNull(nodes);
        if (nodes.Length == 0)
        {
            throw new ArgumentException("A balancer needs at least one candidate node.", nameof(nodes));
        }

        if (!_factories.TryGetValue(config.Kind, out var factory))
        {
            throw new InvalidOperationException($"No load balancer factory is registered for kind {config.Kind}.");
        }

        return factory.Create(config, nodes);
    }
}
