using System.Collections.Frozen;
using Gatehouse.Gateway.Model;

namespace Gatehouse.Gateway.Resilience;

/// <summary>Compiled resilience of one API: its breaker(s), retry rules and budget, and whole-request timeout.</summary>
internal sealed class ApiResilience
{
    public static readonly ApiResilience None = new(null, null, RetryPolicy.Default with { MaxAttempts = 1 }, null, Timeout.InfiniteTimeSpan);

    private readonly CircuitBreaker? _apiBreaker;
    private readonly FrozenDictionary<NodeModel, CircuitBreaker>? _nodeBreakers;

    public ApiResilience(CircuitBreaker? apiBreaker, FrozenDictionary<NodeModel, CircuitBreaker>? nodeBreakers, RetryPolicy retry,
        RetryBudget? budget, TimeSpan requestTimeout)
    {
        _apiBreaker = apiBreaker;
        _nodeBreakers = nodeBreakers;
        Retry = retry;
        Budget = budget;
        RequestTimeout = requestTimeout;
    }

    public RetryPolicy Retry { get; }

    /// <summary>Null when the API never retries (maxAttempts 1).</summary>
    public RetryBudget? Budget { get; }

    /// <summary><see cref="Timeout.InfiniteTimeSpan"/> when unlimited.</summary>
    public TimeSpan RequestTimeout { get; }

    /// <summary>True when each node has its own breaker (scope apiNode): an open one is skipped, not fatal.</summary>
    public bool PerNode => _nodeBreakers is not null;

    /// <summary>The breaker guarding calls of this API to <paramref name="node"/>; null when there is none.</summary>
    public CircuitBreaker? BreakerFor(NodeModel node)
    {
        if (_apiBreaker is not null)
        {
            return _apiBreaker;
        }

        return _nodeBreakers is not null && _nodeBreakers.TryGetValue(node, out var breaker) ? breaker : null;
    }

    internal void Collect(HashSet<CircuitBreaker> breakers, HashSet<RetryBudget> budgets)
    {
        if (_apiBreaker is not null)
        {
            breakers.Add(_apiBreaker);
        }

        if (_nodeBreakers is not null)
        {
            foreach (var breaker in _nodeBreakers.Values)
            {
                breakers.Add(breaker);
            }
        }

        if (Budget is not null)
        {
            budgets.Add(Budget);
        }
    }
}
