namespace Gatehouse.Core.Config;

public static partial class ConfigValidator
{
    /// <summary>Sliding-window counts are packed into 20 bits each (see the gateway's limiter).</summary>
    private const int MaxSlidingWindowLimit = 1_000_000;
    private const int MaxRateLimit = 100_000_000;

    /// <remarks>
    /// <c>limit</c> 1..100000000 (sliding window: 1..1000000); <c>windowMs</c> 1 ms to 1 day; <c>burst</c> only for
    /// the token bucket, 1..100000000; key source <c>header</c> requires <c>name</c>, <c>none</c> and
    /// <c>clientIp</c> take none; <c>store</c> is local or redis and <c>fallback</c> local, failOpen or failClosed
    /// (a fallback on a local store is accepted and unused, so switching the store back needs no other edit).
    /// </remarks>
    private static void ValidateRateLimit(Errors errors, string entry, RateLimitConfig rateLimit)
    {
        CheckEnum(errors, $"{entry}.algorithm", rateLimit.Algorithm);
        CheckEnum(errors, $"{entry}.store", rateLimit.Store);
        CheckEnum(errors, $"{entry}.fallback", rateLimit.Fallback);
        var max = rateLimit.Algorithm == RateLimitAlgorithm.SlidingWindow ? MaxSlidingWindowLimit : MaxRateLimit;
        if (rateLimit.Limit < 1 || rateLimit.Limit > max)
        {
            errors.Add($"{entry}.limit", $"must be between 1 and {max}, got {rateLimit.Limit}");
        }

        CheckTimeout(errors, $"{entry}.windowMs", rateLimit.WindowMs);
        if (rateLimit.Burst is { } burst)
        {
            if (rateLimit.Algorithm != RateLimitAlgorithm.TokenBucket)
            {
                errors.Add($"{entry}.burst", "burst applies only to the tokenBucket algorithm");
            }
            else if (burst is < 1 or > MaxRateLimit)
            {
                errors.Add($"{entry}.burst", $"must be between 1 and {MaxRateLimit}, got {burst}");
            }
        }

        if (rateLimit.Key is { } key)
        {
            CheckEnum(errors, $"{entry}.key.source", key.Source);
            if (key.Source == RateLimitKeySource.Header && string.IsNullOrWhiteSpace(key.Name))
            {
                errors.Add($"{entry}.key.name", "name (a header name) is required when source is header");
            }
            else if (key.Source is RateLimitKeySource.None or RateLimitKeySource.ClientIp && key.Name is not null)
            {
                errors.Add($"{entry}.key.name", $"name does not apply when source is {ConfigEntries.EnumText(key.Source)}");
            }
            else if (key.Name is { } name && !IsToken(name))
            {
                errors.Add($"{entry}.key.name", $"'{name}' is not a valid header name");
            }
        }
    }
}
