using System.Collections.Concurrent;
using System.Collections.Frozen;
using Gatehouse.Core.Config;
using Gatehouse.Gateway.Model;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Gatehouse.Gateway.Resilience;

/// <summary>
/// Keeps circuit breakers and retry budgets across config swaps, as <c>RateLimiterRegistry</c> keeps limiters: a
/// reload that leaves an API's breaker policy unchanged keeps its state (an open breaker stays open), a changed
/// policy starts a fresh breaker, and what the published snapshot no longer uses is dropped.
/// </summary>
internal sealed partial class ResilienceRegistry
{
    private readonly ConcurrentDictionary<string, CircuitBreaker> _breakers = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, RetryBudget> _budgets = new(StringComparer.Ordinal);
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly Action<CircuitBreaker, CircuitState, CircuitState, string> _onTransition;

    public ResilienceRegistry(TimeProvider time, ILogger<ResilienceRegistry>? logger = null)
    {
        _time = time;
        _logger = logger ?? (ILogger)NullLogger.Instance;
        _onTransition = (breaker, from, to, reason) => Log.Transition(_logger, breaker.Name, from, to, reason);
    }

    /// <summary>Compiles the breakers, budget and timeout of one API. Off the request path.</summary>
    public ApiResilience Compile(string serviceName, string apiId, EffectivePolicy policy, NodeModel[] nodes)
    {
        var service = serviceName.ToLowerInvariant();
        CircuitBreaker? apiBreaker = null;
        FrozenDictionary<NodeModel, CircuitBreaker>? nodeBreakers = null;
        if (policy.CircuitBreaker is { } breaker)
        {
            var name = $"{service}/{apiId}";
            if (breaker.Scope == CircuitBreakerScope.ApiNode)
            {
                var map = new Dictionary<NodeModel, CircuitBreaker>(nodes.Length, ReferenceEqualityComparer.Instance);
                foreach (var node in nodes)
                {
                    map[node] = GetOrCreateBreaker($"{name}@{node.Id}", breaker);
                }

                nodeBreakers = map.ToFrozenDictionary(ReferenceEqualityComparer.Instance);
            }
            else
            {
                apiBreaker = GetOrCreateBreaker(name, breaker);
            }
        }

        var retry = policy.Retry;
        var budget = retry.MaxAttempts > 1 ? GetOrCreateBudget(service, retry) : null;
        return new ApiResilience(apiBreaker, nodeBreakers, retry, budget, policy.RequestTimeout);
    }

    /// <summary>The breaker registered under <paramref name="name"/>, for views and tests.</summary>
    public CircuitBreaker? FindBreaker(string name) => _breakers.GetValueOrDefault(name);

    /// <summary>Drops breakers and budgets that the published snapshot no longer uses.</summary>
    public void Retain(ConfigSnapshot snapshot)
    {
        var breakers = new HashSet<CircuitBreaker>(ReferenceEqualityComparer.Instance);
        var budgets = new HashSet<RetryBudget>(ReferenceEqualityComparer.Instance);
        foreach (var service in snapshot.Services.Values)
        {
            foreach (var api in service.Apis)
            {
                api.Resilience.Collect(breakers, budgets);
            }
        }

        foreach (var pair in _breakers)
        {
            if (!breakers.Contains(pair.Value))
            {
                _breakers.TryRemove(pair);
            }
        }

        foreach (var pair in _budgets)
        {
            if (!budgets.Contains(pair.Value))
            {
                _budgets.TryRemove(pair);
            }
        }
    }

    private CircuitBreaker GetOrCreateBreaker(string name, CircuitBreakerPolicy policy)
    {
        var existing = _breakers.GetValueOrDefault(name);
        if (existing is not null && existing.Policy == policy)
        {
            return existing;
        }

        var created = new CircuitBreaker(name, policy, _time, _onTransition);
        _breakers[name] = created;
        return created;
    }

    private RetryBudget GetOrCreateBudget(string service, RetryPolicy retry)
    {
        var existing = _budgets.GetValueOrDefault(service);
        if (existing is not null && existing.BudgetPercent == retry.BudgetPercent && existing.MinRetriesPerSecond == retry.MinRetriesPerSecond)
        {
            return existing;
        }

        var created = new RetryBudget(retry.BudgetPercent, retry.MinRetriesPerSecond, _time);
        _budgets[service] = created;
        return created;
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 1101, Level = LogLevel.Warning, Message = "Circuit breaker {Breaker}: {From} -> {To} ({Reason})")]
        public static partial void Transition(ILogger logger, string breaker, CircuitState from, CircuitState to, string reason);
    }
}
