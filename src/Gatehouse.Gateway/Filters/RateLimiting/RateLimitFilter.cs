using System.Globalization;
using Gatehouse.Core.Config;
using Gatehouse.Gateway.Hosting;
using Microsoft.AspNetCore.Http;

namespace Gatehouse.Gateway.Filters.RateLimiting;

/// <summary>
/// Applies the rate limits that cover one API, outermost first (global, service, API); the first level that
/// refuses answers 429 <c>rate_limited</c> with <c>Retry-After</c> and <c>RateLimit-*</c> headers. Levels that
/// admitted the request keep its count (as nginx's limit_req does across zones).
/// </summary>
internal sealed class RateLimitFilter : IGatewayFilter
{
    private readonly KeyedRateLimiter[] _limiters;

    public RateLimitFilter(KeyedRateLimiter[] limiters)
    {
        _limiters = limiters;
    }

    public ValueTask<bool> OnRequestAsync(HttpContext context)
    {
        Span<char> buffer = stackalloc char[64];
        foreach (var limiter in _limiters)
        {
            var decision = limiter.TryAcquire(ReadKey(context, limiter.Config.Key, buffer));
            if (!decision.Allowed)
            {
                return RejectAsync(context, limiter, decision);
            }
        }

        return ValueTask.FromResult(true);
    }

    /// <summary>The key a request is counted under; empty means the level's shared counter.</summary>
    internal static ReadOnlySpan<char> ReadKey(HttpContext context, RateLimitKeyConfig? key, Span<char> buffer)
    {
        switch (key?.Source ?? RateLimitKeySource.None)
        {
            case RateLimitKeySource.ClientIp:
                // Formatted into a stack buffer: no string per request for an address already seen.
                // The same client address the IP lists and the hash key use (trusted proxies applied).
                var address = ClientIp.Get(context);
                if (address is null)
                {
                    return [];
                }

                if (address.IsIPv4MappedToIPv6)
                {
                    address = address.MapToIPv4();
                }

                return address.TryFormat(buffer, out var written) ? buffer[..written] : address.ToString();
            case RateLimitKeySource.Header:
            case RateLimitKeySource.AppKey:
                var name = key!.Name ?? "appKey";
                var values = context.Request.Headers[name];
                return values.Count == 0 ? [] : values[0].AsSpan();
            default:
                return [];
        }
    }

    private static async ValueTask<bool> RejectAsync(HttpContext context, KeyedRateLimiter limiter, RateLimitDecision decision)
    {
        // Whole seconds, rounded up (RFC 9110 §10.2.3): a client that waits this long is admitted.
        var retryAfter = Math.Max(1, (long)Math.Ceiling((double)decision.Wait / limiter.TimestampFrequency));
        var seconds = retryAfter.ToString(CultureInfo.InvariantCulture);
        await ProblemWriter.WriteAsync(context, GatewayError.RateLimited,
            $"Rate limit of {limiter.Config.Limit} per {limiter.Config.WindowMs} ms exceeded; retry after {retryAfter} s.",
            [
                new("Retry-After", seconds),
                new("RateLimit-Limit", limiter.Config.Limit.ToString(CultureInfo.InvariantCulture)),
                new("RateLimit-Remaining", "0"),
                new("RateLimit-Reset", seconds),
            ]);
        return false;
    }
}
