using System.Runtime.InteropServices;
using Gatehouse.Core.Hashing;
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
/// key: SipHash-2-4 with a 128-bit output (a keyed PRF) under a random key of the process, so the cache holds
/// nothing a token could be recovered from or matched against offline, and two tokens share a key only with
/// negligible probability (2^-128 per pair; without the key a caller cannot aim at a collision). HMAC-SHA256 did
/// the same, but the whole cached check then took about 3.3 µs for a 32-character token (an OpenSSL call per
/// request); with SipHash it takes about 0.2 µs (bench/RESULTS.md, LoginBenchmarks).
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

    /// <summary>The cache key of a token read by <see cref="Read"/>, under the process's secret <paramref name="macKey"/>.</summary>
    public static SessionKey Key(ReadOnlySpan<byte> macKey, ReadOnlySpan<char> token)
    {
        // The chars' own bytes (UTF-16) are hashed: no conversion, nothing on the heap.
        var (low, high) = SipHash128.Hash(macKey, MemoryMarshal.AsBytes(token));
        return new SessionKey(low, high);
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

/// <summary>The 128-bit keyed hash of a session token, used as the cache key (a value type: no allocation per lookup).</summary>
internal readonly struct SessionKey(ulong low, ulong high) : IEquatable<SessionKey>
{
    private readonly ulong _low = low;
    private readonly ulong _high = high;

    public bool Equals(SessionKey other) => _low == other._low && _high == other._high;

    public override bool Equals(object? obj) => obj is SessionKey other && Equals(other);

    // The bits are a PRF output, already uniformly distributed.
    public override int GetHashCode() => (int)_low;
}
