using Gatehouse.Core.Config;
using Gatehouse.Gateway.Model;

namespace Gatehouse.Gateway.Compilation;

internal static partial class PolicyMerger
{
    /// <summary>Retry rules field by field; the budget's two keys from the service or global level only.</summary>
    private static RetryPolicy MergeRetry(RetryConfig? api, RetryConfig? service, RetryConfig? global)
    {
        var d = RetryPolicy.Default;
        var statuses = api?.OnStatuses ?? service?.OnStatuses ?? global?.OnStatuses;
        return new RetryPolicy
        {
            MaxAttempts = api?.MaxAttempts ?? service?.MaxAttempts ?? global?.MaxAttempts ?? d.MaxAttempts,
            OnConnectFailure = api?.OnConnectFailure ?? service?.OnConnectFailure ?? global?.OnConnectFailure ?? d.OnConnectFailure,
            OnResponseHeadersTimeout = api?.OnResponseHeadersTimeout ?? service?.OnResponseHeadersTimeout
                ?? global?.OnResponseHeadersTimeout ?? d.OnResponseHeadersTimeout,
            OnStatuses = statuses is null ? d.OnStatuses : StatusCodeSet.Of(statuses),
            Retryable = api?.Retryable ?? service?.Retryable ?? global?.Retryable ?? d.Retryable,
            BudgetPercent = service?.BudgetPercent ?? global?.BudgetPercent ?? d.BudgetPercent,
            MinRetriesPerSecond = service?.MinRetriesPerSecond ?? global?.MinRetriesPerSecond ?? d.MinRetriesPerSecond,
        };
    }

    /// <summary>
    /// Field by field; null (no breaker) unless some level has a <c>circuitBreaker</c> block and the nearest
    /// <c>enabled</c> is not false.
    /// </summary>
    private static CircuitBreakerPolicy? MergeCircuitBreaker(CircuitBreakerConfig? api, CircuitBreakerConfig? service, CircuitBreakerConfig? global)
    {
        if (api is null && service is null && global is null)
        {
            return null;
        }

        if (!(api?.Enabled ?? service?.Enabled ?? global?.Enabled ?? true))
        {
            return null;
        }

        var d = CircuitBreakerPolicy.Default;
        var statuses = api?.FailureStatuses ?? service?.FailureStatuses ?? global?.FailureStatuses;
        return new CircuitBreakerPolicy
        {
            Scope = api?.Scope ?? service?.Scope ?? global?.Scope ?? d.Scope,
            FailureRatio = api?.FailureRatio ?? service?.FailureRatio ?? global?.FailureRatio ?? d.FailureRatio,
            SlowCallRatio = api?.SlowCallRatio ?? service?.SlowCallRatio ?? global?.SlowCallRatio ?? d.SlowCallRatio,
            SlowCall = Ms(api?.SlowCallMs ?? service?.SlowCallMs ?? global?.SlowCallMs) ?? d.SlowCall,
            MinimumThroughput = api?.MinimumThroughput ?? service?.MinimumThroughput ?? global?.MinimumThroughput ?? d.MinimumThroughput,
            Window = Ms(api?.WindowMs ?? service?.WindowMs ?? global?.WindowMs) ?? d.Window,
            OpenDuration = Ms(api?.OpenMs ?? service?.OpenMs ?? global?.OpenMs) ?? d.OpenDuration,
            HalfOpenProbes = api?.HalfOpenProbes ?? service?.HalfOpenProbes ?? global?.HalfOpenProbes ?? d.HalfOpenProbes,
            FailureStatuses = statuses is null ? d.FailureStatuses : StatusCodeSet.Of(statuses),
        };
    }
}
