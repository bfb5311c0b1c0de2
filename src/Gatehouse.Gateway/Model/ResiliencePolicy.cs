using Gatehouse.Core.Config;

namespace Gatehouse.Gateway.Model;

/// <summary>
/// A set of 5xx status codes as a 100-bit mask: value equality (so a reload that keeps the list keeps the
/// breaker) and a membership test without a lookup on the request path.
/// </summary>
public readonly record struct StatusCodeSet(UInt128 Mask)
{
    private const int First = 500;
    private const int Last = 599;

    public static StatusCodeSet Empty => default;

    public bool IsEmpty => Mask == UInt128.Zero;

    /// <summary>Builds the set; codes outside 500..599 are rejected by validation and ignored here.</summary>
    public static StatusCodeSet Of(IEnumerable<int> codes)
    {
        var mask = UInt128.Zero;
        foreach (var code in codes)
        {
            if (code is >= First and <= Last)
            {
                mask |= UInt128.One << (code - First);
            }
        }

        return new StatusCodeSet(mask);
    }

    public bool Contains(int status)
        => (uint)(status - First) <= Last - First && ((Mask >> (status - First)) & UInt128.One) != UInt128.Zero;

    /// <summary>The codes in ascending order (for views and logs, not the request path).</summary>
    public int[] ToArray()
    {
        var codes = new List<int>();
        for (var code = First; code <= Last; code++)
        {
            if (Contains(code))
            {
                codes.Add(code);
            }
        }

        return codes.ToArray();
    }

    public override string ToString() => string.Join(",", ToArray());
}

/// <summary>Effective retry rules of one API (see <see cref="RetryConfig"/> for their meaning).</summary>
public sealed record RetryPolicy
{
    public static readonly RetryPolicy Default = new();

    public int MaxAttempts { get; init; } = 2;

    public bool OnConnectFailure { get; init; } = true;

    public bool OnResponseHeadersTimeout { get; init; }

    public StatusCodeSet OnStatuses { get; init; }

    public bool Retryable { get; init; }

    /// <summary>Of the service (service ?? global ?? default), not of the API: the budget is one per service.</summary>
    public double BudgetPercent { get; init; } = 20;

    /// <summary>Of the service, like <see cref="BudgetPercent"/>.</summary>
    public int MinRetriesPerSecond { get; init; } = 3;
}

/// <summary>Effective circuit breaker of one API (see <see cref="CircuitBreakerConfig"/>); null on the policy when off.</summary>
public sealed record CircuitBreakerPolicy
{
    public static readonly CircuitBreakerPolicy Default = new();

    public CircuitBreakerScope Scope { get; init; } = CircuitBreakerScope.Api;

    public double FailureRatio { get; init; } = 0.5;

    public double SlowCallRatio { get; init; } = 1.0;

    public TimeSpan SlowCall { get; init; } = TimeSpan.FromSeconds(5);

    public int MinimumThroughput { get; init; } = 20;

    public TimeSpan Window { get; init; } = TimeSpan.FromSeconds(10);

    public TimeSpan OpenDuration { get; init; } = TimeSpan.FromSeconds(5);

    public int HalfOpenProbes { get; init; } = 3;

    public StatusCodeSet FailureStatuses { get; init; } = StatusCodeSet.Of([502, 503, 504]);
}
