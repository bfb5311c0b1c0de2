using System.Globalization;
using Gatehouse.Core.Config;
using Gatehouse.Gateway.Http;
using Microsoft.AspNetCore.Http;

namespace Gatehouse.Gateway.Filters.RateLimiting;

/// <summary>
/// Applies the rate limits that cover one API, outermost first (global, service, API); the first level that
/// refuses answers 429 <c>rate_limited</c> with <c>Retry-After</c> and <c>RateLimit-*</c> headers. Levels that
/// admitted the request keep its count (as nginx's limit_req does across zones).
/// </summary>
/// <remarks>
/// Local limiters decide synchronously, so an API with only local limits never leaves the synchronous path; the
/// first shared (Redis) limiter that has to wait for its reply moves the rest of the chain to an async method.
/// </remarks>
internal sealed class RateLimitFilter : BuiltInFilter
{
    private readonly IRateLimiter[] _limiters;

    public RateLimitFilter(IRateLimiter[] limiters)
    {
        _limiters = limiters;
    }

    public override ValueTask<bool> OnRequestAsync(HttpContext context)
    {
        Span<char> buffer = stackalloc char[64];
        for (var i = 0; i < _limiters.Length; i++)
        {
            var limiter = _limiters[i];
            var pending = limiter.AcquireAsync(ReadKey(context, limiter.Config.Key, buffer));
            if (!pending.IsCompletedSuccessfully)
            {
                return ContinueAsync(context, pending, i);
            }

            var decision = pending.Result;
            if (!decision.Allowed)
            {
                return RejectAsync(context, limiter, decision);
            }
        }

        return ValueTask.FromResult(true);
    }

    private async ValueTask<bool> ContinueAsync(HttpContext context, ValueTask<RateLimitDecision> pending, int index)
    {
        var decision = await pending;
        while (true)
        {
            if (!decision.Allowed)
            {
                await RejectAsync(context, _limiters[index], decision);
                return false;
            }

            if (++index == _limiters.Length)
            {
                return true;
            }

            // The key is read again here: the stack buffer of the synchronous part is gone.
            var key = ReadKey(context, _limiters[index].Config.Key, new char[64]);
            decision = await _limiters[index].AcquireAsync(key);
        }
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

    private static async ValueTask<bool> RejectAsync(HttpContext context, IRateLimiter limiter, RateLimitDecision decision)
    {
        // Whole seconds, rounded up (RFC 9110 §10.2.3): a client that waits this long is admitted.
        var retryAfter = Math.Max(1, (long)Math.Ceiling((double)decision.Wait / limiter.TimestampFrequency));
        var seconds = retryAfter.ToString(CultureInfo.InvariantCulture);
        var detail = decision.Unavailable
            ? $"The shared rate limiter is unavailable and this limit fails closed; retry after {retryAfter} s."
            : $"Rate limit of {limiter.Config.Limit} per {limiter.Config.WindowMs} ms exceeded; retry after {retryAfter} s.";
        await ProblemWriter.WriteAsync(context, GatewayError.RateLimited, detail,
            [
                new("Retry-After", seconds),
                new("RateLimit-Limit", limiter.Config.Limit.ToString(CultureInfo.InvariantCulture)),
                new("RateLimit-Remaining", "0"),
                new("RateLimit-Reset", seconds),
            ]);
        return false;
    }
}
