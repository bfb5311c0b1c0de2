using Gatehouse.Core.Config;
using Gatehouse.Core.Net;
using Gatehouse.Gateway.Http;
using Microsoft.AspNetCore.Http;

namespace Gatehouse.Gateway.Filters.Access;

/// <summary>
/// The IP allow / deny lists that cover one API, outermost first (global, service, API); a request must pass every
/// level. Within a level deny wins, and a non-empty allow list admits only what it covers. Refusal: 403 <c>forbidden</c>.
/// </summary>
/// <remarks>The lists are merged interval sets built at compile time; a check is a binary search, no allocation.</remarks>
internal sealed class IpAccessFilter : BuiltInFilter
{
    private readonly IpAccessRule[] _rules;

    public IpAccessFilter(IpAccessRule[] rules)
    {
        _rules = rules;
    }

    public static IpAccessRule Compile(string level, IpAccessConfig config) =>
        new(level, IpRangeSet.Parse(config.Allow), IpRangeSet.Parse(config.Deny));

    public override ValueTask<bool> OnRequestAsync(HttpContext context)
    {
        var address = ClientIp.Get(context);
        if (FirstRefusing(address is null ? null : IpRange.ToUInt128(address)) is not { } refused)
        {
            return ValueTask.FromResult(true);
        }

        return RejectAsync(context, refused, address);
    }

    /// <summary>Null when every level admits the address; otherwise the first level that refuses it.</summary>
    /// <param name="address">The client address, or null when the request has none (only an allow list refuses it).</param>
    internal IpAccessRule? FirstRefusing(UInt128? address)
    {
        foreach (var rule in _rules)
        {
            var refused = address is { } value
                ? rule.Deny.Contains(value) || (!rule.Allow.IsEmpty && !rule.Allow.Contains(value))
                : !rule.Allow.IsEmpty;
            if (refused)
            {
                return rule;
            }
        }

        return null;
    }

    private static async ValueTask<bool> RejectAsync(HttpContext context, IpAccessRule rule, System.Net.IPAddress? address)
    {
        if (address is { IsIPv4MappedToIPv6: true })
        {
            address = address.MapToIPv4();
        }

        await ProblemWriter.WriteAsync(context, GatewayError.Forbidden,
            $"Client address {address?.ToString() ?? "(none)"} is not allowed by the {rule.Level} IP access list.");
        return false;
    }
}

/// <summary>One level's lists: <see cref="Level"/> is <c>global</c>, <c>service</c> or <c>api</c> (named in the 403 detail).</summary>
internal sealed record IpAccessRule(string Level, IpRangeSet Allow, IpRangeSet Deny);
