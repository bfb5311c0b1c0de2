using System.Net;
using Gatehouse.Core.Net;
using Gatehouse.Gateway.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Primitives;

namespace Gatehouse.Gateway.Http;

/// <summary>
/// The client address of a request, as every stage sees it (IP lists, rate-limit and consistent-hash keys, canary
/// stickiness): the TCP peer, unless the peer is a trusted proxy and <c>X-Forwarded-For</c> names someone further out.
/// </summary>
public static class ClientIp
{
    /// <summary>
    /// The resolved client address; may be IPv4-mapped IPv6 (consumers normalise: <see cref="IpRange.ToUInt128"/>,
    /// the hash key). Null only for a request without a peer address (an in-memory test server).
    /// </summary>
    public static IPAddress? Get(HttpContext context) =>
        // Set only when a trusted proxy forwarded the request, so the common case is one feature miss.
        context.Features.Get<ClientIpFeature>()?.Address ?? context.Connection.RemoteIpAddress;
}

/// <summary>The client address found in <c>X-Forwarded-For</c>, cached on the request by <see cref="TrustedProxies"/>.</summary>
internal sealed class ClientIpFeature(IPAddress address)
{
    public IPAddress Address { get; } = address;
}

/// <summary>The gateway's trusted proxies (<see cref="GatewayOptions.TrustedProxies"/>), compiled once at start.</summary>
internal sealed class TrustedProxies
{
    private readonly IpRangeSet _trusted;

    public TrustedProxies(IEnumerable<string> cidrs)
    {
        var ranges = new List<IpRange>();
        var index = 0;
        foreach (var text in cidrs)
        {
            if (!IpRange.TryParse(text, out var range, out var error))
            {
                throw new InvalidOperationException($"{GatewayOptions.Section}:{nameof(GatewayOptions.TrustedProxies)}:{index} {error}");
            }

            ranges.Add(range);
            index++;
        }

        _trusted = IpRangeSet.Create(ranges);
    }

    public bool IsEmpty => _trusted.IsEmpty;

    /// <summary>
    /// Resolves the client address once per request and caches it as a feature when it differs from the peer.
    /// Costs nothing when no proxy is trusted or the peer is not one.
    /// </summary>
    public void Apply(HttpContext context)
    {
        if (_trusted.IsEmpty || context.Connection.RemoteIpAddress is not { } peer || !_trusted.Contains(peer))
        {
            return;
        }

        var forwardedFor = context.Request.Headers[Forwarding.HeaderRules.ForwardedFor];
        if (forwardedFor.Count == 0)
        {
            return;
        }

        var client = Resolve(peer, forwardedFor, _trusted);
        if (!ReferenceEquals(client, peer))
        {
            context.Features.Set(new ClientIpFeature(client));
        }
    }

    /// <summary>
    /// Walks <c>X-Forwarded-For</c> right to left from a trusted <paramref name="peer"/>: each trusted hop passes the
    /// walk on, the first untrusted address is the client. Every entry trusted: the leftmost is the client. An entry
    /// that is not an address stops the walk at the last hop that could be checked, since anything left of it was
    /// written by a party we cannot vouch for.
    /// </summary>
    internal static IPAddress Resolve(IPAddress peer, StringValues forwardedFor, IpRangeSet trusted)
    {
        var current = peer;
        for (var v = forwardedFor.Count - 1; v >= 0; v--)
        {
            var rest = (forwardedFor[v] ?? "").AsSpan();
            while (true)
            {
                var comma = rest.LastIndexOf(',');
                var token = (comma < 0 ? rest : rest[(comma + 1)..]).Trim();
                if (!token.IsEmpty)
                {
                    if (!TryParseEntry(token, out var address))
                    {
                        return current;
                    }

                    current = address;
                    if (!trusted.Contains(address))
                    {
                        return address;
                    }
                }

                if (comma < 0)
                {
                    break;
                }

                rest = rest[..comma];
            }
        }

        return current;
    }

    /// <summary>An address, optionally with a port (<c>192.0.2.1:4711</c>, <c>[2001:db8::1]:4711</c>).</summary>
    private static bool TryParseEntry(ReadOnlySpan<char> token, out IPAddress address)
    {
        if (IPAddress.TryParse(token, out address!))
        {
            return true;
        }

        if (IPEndPoint.TryParse(token, out var endPoint))
        {
            address = endPoint.Address;
            return true;
        }

        return false;
    }
}
