using Gatehouse.Core.Config;

namespace Gatehouse.Gateway.Model;

/// <summary>
/// The policy that applies to one API after merging API ?? service ?? global ?? defaults. Built once per
/// snapshot so the request path never merges anything.
/// </summary>
public sealed record EffectivePolicy
{
    public static readonly EffectivePolicy Default = new();

    public LoadBalancerConfig LoadBalancer { get; init; } = new();

    public bool Nearest { get; init; } = true;

    public bool Gray { get; init; } = true;

    /// <summary>Weighted canary split of ordinary traffic; null when none applies.</summary>
    public CanaryConfig? Canary { get; init; }

    public TimeSpan ConnectTimeout { get; init; } = TimeSpan.FromSeconds(5);

    public TimeSpan ResponseHeadersTimeout { get; init; } = TimeSpan.FromSeconds(30);

    public TimeSpan IdleTimeout { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>Whole-exchange limit (all attempts); <see cref="Timeout.InfiniteTimeSpan"/> when not configured.</summary>
    public TimeSpan RequestTimeout { get; init; } = Timeout.InfiniteTimeSpan;

    public RetryPolicy Retry { get; init; } = RetryPolicy.Default;

    /// <summary>Null when no breaker applies to the API.</summary>
    public CircuitBreakerPolicy? CircuitBreaker { get; init; }

    /// <summary><c>limits.maxBodyBytes</c>; null for no per-API limit.</summary>
    public long? MaxBodyBytes { get; init; }
}
