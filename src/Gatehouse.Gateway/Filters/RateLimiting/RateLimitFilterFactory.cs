using Gatehouse.Core.Config;
using Gatehouse.Plugins;

namespace Gatehouse.Gateway.Filters.RateLimiting;

/// <summary>
/// <c>rate-limit</c>: the <c>rateLimit</c> of every level that sets one, each its own limiter (outermost first), taken
/// from the registry so counters survive snapshots.
/// </summary>
internal sealed class RateLimitFilterFactory(RateLimiterRegistry registry) : IBuiltInFilterFactory
{
    public string Name => GatewayFilterNames.RateLimit;

    public BuiltInFilter? Create(BuiltInFilterScope scope)
    {
        var limiters = new List<IRateLimiter>(3);
        var service = scope.Service.Name.ToLowerInvariant();
        Add(limiters, scope, "global", scope.Global?.RateLimit);
        Add(limiters, scope, $"service:{service}", scope.Service.Policy?.RateLimit);
        Add(limiters, scope, $"api:{service}/{scope.Api.Id}", scope.Api.Policy?.RateLimit);
        return limiters.Count == 0 ? null : new RateLimitFilter([.. limiters]);
    }

    private void Add(List<IRateLimiter> limiters, BuiltInFilterScope scope, string key, RateLimitConfig? config)
    {
        if (config is not null)
        {
            scope.RateLimitScopes.Add(key);
            limiters.Add(registry.GetOrCreate(key, config));
        }
    }
}
