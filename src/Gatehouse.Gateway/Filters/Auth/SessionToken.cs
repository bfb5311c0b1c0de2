using System.Diagnostics;
using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Http;
using Microsoft.Net.Http.Headers;

namespace Gatehouse.Gateway.Filters.Auth;

/// <summary>What <see cref="SessionToken.Read"/> found.</summary>
internal enum SessionTokenRead
{
    Found,
    Missing,
    Malformed,
}

/// <summary>
/// Reads the session token of a request (a header, then a cookie) without allocating, and turns it into the cache
/// key: HMAC-SHA256 under a random key of the process, so the cache holds nothing a token could be recovered from
/// or matched against offline.
/// </summary>
internal static class SessionToken
{
    /// <summary>Longer tokens are refused (401) without asking the session service; browsers cap a cookie at 4096 bytes.</summary>
    public const int MaxLength = 4096;

    /// <summary>
    /// The token from header <paramref name="header"/> (one value, trimmed) or else from cookie
    /// <paramref name="cookie"/> (the first of that name, quotes removed). Printable ASCII only (RFC 6265 §4.1.1
    /// cookie octets are a subset); anything else, several header values or an over-long token is malformed.
    /// </summary>
    public static SessionTokenRead Read(IHeaderDictionary headers, string? header, string? cookie, out ReadOnlySpan<char> token)
    {
        token = default;
        if (header is not null && headers.TryGetValue(header, out var values) && values.Count > 0)
        {
            if (values.Count > 1)
            {
                return SessionTokenRead.Malformed;
            }

            var value = values[0].AsSpan().Trim(' ');
            if (value.Length > 0)
            {
                token = value;
                return Check(value);
            }
        }

        if (cookie is not null)
        {
            var cookies = headers[HeaderNames.Cookie];
            for (var i = 0; i < cookies.Count; i++)
            {
                if (FindCookie(cookies[i], cookie, out var value))
                {
                    token = value;
                    return value.Length == 0 ? SessionTokenRead.Missing : Check(value);
                }
            }
        }

        return SessionTokenRead.Missing;
    }

    /// <summary>The cache key of a token read by <see cref="Read"/>.</summary>
    public static SessionKey Key(ReadOnlySpan<byte> hmacKey, ReadOnlySpan<char> token)
    {
        // ASCII was checked by Read, so one byte per char; MaxLength keeps this on the stack.
        Debug.Assert(token.Length <= MaxLength);
        Span<byte> bytes = stackalloc byte[token.Length];
        Encoding.ASCII.GetBytes(token, bytes);
        Span<byte> mac = stackalloc byte[32];
        HMACSHA256.HashData(hmacKey, bytes, mac);
        return new SessionKey(mac);
    }

    private static SessionTokenRead Check(ReadOnlySpan<char> value)
    {
        if (value.Length > MaxLength)
        {
            return SessionTokenRead.Malformed;
        }

        foreach (var c in value)
        {
            if (c is < ' ' or > '~')
            {
                return SessionTokenRead.Malformed;
            }
        }

        return SessionTokenRead.Found;
    }

    /// <summary>Finds <c>name=value</c> in one Cookie header value (pairs separated by ';', RFC 6265 §4.2.1).</summary>
    private static bool FindCookie(string? header, string name, out ReadOnlySpan<char> value)
    {
        var rest = header.AsSpan();
        while (rest.Length > 0)
        {
            var end = rest.IndexOf(';');
            var pair = end < 0 ? rest : rest[..end];
            rest = end < 0 ? default : rest[(end + 1)..];
            var equals = pair.IndexOf('=');
            if (equals < 0 || !pair[..equals].Trim(" \t").SequenceEqual(name))
            {
                continue;
            }

            // Cookie names are case-sensitive; a quoted value (cookie-value = DQUOTE *cookie-octet DQUOTE) loses its quotes.
            var found = pair[(equals + 1)..].Trim(" \t");
            if (found.Length >= 2 && found[0] == '"' && found[^1] == '"')
            {
                found = found[1..^1];
            }

            value = found;
            return true;
        }

        value = default;
        return false;
    }
}

/// <summary>The 256-bit MAC of a session token, used as the cache key (a value type: no allocation per lookup).</summary>
internal readonly struct SessionKey : IEquatable<SessionKey>
{
    private readonly ulong _a;
    private readonly ulong _b;
    private readonly ulong _c;
    private readonly ulong _d;

    public SessionKey(ReadOnlySpan<byte> mac)
    {
        _a = BitConverter.ToUInt64(mac);
        _b = BitConverter.ToUInt64(mac[8..]);
        _c = BitConverter.ToUInt64(mac[16..]);
        _d = BitConverter.ToUInt64(mac[24..]);
    }

    public bool Equals(SessionKey other) => _a == other._a && _b == other._b && _c == other._c && _d == other._d;

    public override bool Equals(object? obj) => obj is SessionKey other && Equals(other);

    // The bits are a MAC output, already uniformly distributed.
    public override int GetHashCode() => (int)_a;
}
