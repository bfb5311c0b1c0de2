using Gatehouse.Core.Config;
using Gatehouse.Gateway.Model;

namespace Gatehouse.Gateway.Compilation;

/// <summary>Merges API ?? service ?? global ?? built-in defaults, field by field (the balancer as a whole).</summary>
internal static partial class PolicyMerger
{
    public static EffectivePolicy Merge(PolicyConfig? api, PolicyConfig? service, PolicyConfig? global)
    {
        var d = EffectivePolicy.Default;
        return new EffectivePolicy
        {
            LoadBalancer = api?.LoadBalancer ?? service?.LoadBalancer ?? global?.LoadBalancer ?? d.LoadBalancer,
            Nearest = api?.Routing?.Nearest ?? service?.Routing?.Nearest ?? global?.Routing?.Nearest ?? d.Nearest,
            Gray = api?.Routing?.Gray ?? service?.Routing?.Gray ?? global?.Routing?.Gray ?? d.Gray,
            Canary = api?.Canary ?? service?.Canary ?? global?.Canary,
            ConnectTimeout = Ms(api?.Timeouts?.ConnectMs ?? service?.Timeouts?.ConnectMs ?? global?.Timeouts?.ConnectMs) ?? d.ConnectTimeout,
            ResponseHeadersTimeout = Ms(api?.Timeouts?.ResponseHeadersMs ?? service?.Timeouts?.ResponseHeadersMs ?? global?.Timeouts?.ResponseHeadersMs) ?? d.ResponseHeadersTimeout,
            IdleTimeout = Ms(api?.Timeouts?.IdleMs ?? service?.Timeouts?.IdleMs ?? global?.Timeouts?.IdleMs) ?? d.IdleTimeout,
            RequestTimeout = Ms(api?.Timeouts?.RequestMs ?? service?.Timeouts?.RequestMs ?? global?.Timeouts?.RequestMs) ?? d.RequestTimeout,
            Retry = MergeRetry(api?.Retry, service?.Retry, global?.Retry),
            CircuitBreaker = MergeCircuitBreaker(api?.CircuitBreaker, service?.CircuitBreaker, global?.CircuitBreaker),
            MaxBodyBytes = api?.Limits?.MaxBodyBytes ?? service?.Limits?.MaxBodyBytes ?? global?.Limits?.MaxBodyBytes,
        };
    }

    private static TimeSpan? Ms(int? value) => value is { } ms ? TimeSpan.FromMilliseconds(ms) : null;
}
