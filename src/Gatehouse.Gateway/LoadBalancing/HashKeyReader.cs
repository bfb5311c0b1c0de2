using System.Net;
using Gatehouse.Core.Config;
using Gatehouse.Core.Hashing;
using Microsoft.AspNetCore.Http;

namespace Gatehouse.Gateway.LoadBalancing;

/// <summary>Reads and hashes the consistent-hash key of a request without allocating.</summary>
/// <remarks>
/// Text keys are hashed as UTF-8 with <see cref="XxHash64.HashUtf8"/>; the client IP is hashed as its raw
/// address bytes (4 for IPv4, 16 for IPv6), so no string is formatted. An IPv4 address that reaches a dual-mode
/// socket as IPv4-mapped IPv6 (<c>::ffff:a.b.c.d</c>) is hashed as the plain IPv4 address, so a client keeps its
/// node whichever way it connects.
/// </remarks>
internal static class HashKeyReader
{
    /// <summary>
    /// Returns the key text of a <see cref="HashKeySource.Header"/>, <see cref="HashKeySource.Query"/> or
    /// <see cref="HashKeySource.Path"/> source, or null when it is missing or empty and always for
    /// <see cref="HashKeySource.ClientIp"/>. A header or query parameter sent several times yields its first value.
    /// </summary>
    public static string? ReadText(HttpContext context, HashKeySource source, string? name)
    {
        string? text;
        switch (source)
        {
            case HashKeySource.Header when !string.IsNullOrEmpty(name):
                var headerValues = context.Request.Headers[name];
                text = headerValues.Count > 0 ? headerValues[0] : null;
                break;
            case HashKeySource.Query when !string.IsNullOrEmpty(name):
                // Parsing the query string allocates once per request; the parsed collection is cached on the
                // request, so other stages that read the query reuse it.
                var queryValues = context.Request.Query[name];
                text = queryValues.Count > 0 ? queryValues[0] : null;
                break;
            case HashKeySource.Path:
                text = context.Request.Path.Value;
                break;
            default:
                text = null;
                break;
        }

        return string.IsNullOrEmpty(text) ? null : text;
    }

    /// <summary>
    /// Hashes the configured key, falling back to the client IP when the key is missing or empty. Returns false
    /// when there is neither (a request without a remote address, such as one from an in-memory test server).
    /// </summary>
    public static bool TryHash(HttpContext context, HashKeySource source, string? name, out ulong hash)
    {
        var text = ReadText(context, source, name);
        if (text is not null)
        {
            hash = XxHash64.HashUtf8(text);
            return true;
        }

        return TryHashClientIp(context, out hash);
    }

    /// <summary>Hashes the client address (<see cref="Http.ClientIp"/>); false when the request has none.</summary>
    public static bool TryHashClientIp(HttpContext context, out ulong hash)
    {
        var address = Http.ClientIp.Get(context);
        if (address is null)
        {
            hash = 0;
            return false;
        }

        hash = HashAddress(address);
        return true;
    }

    /// <summary>Hashes the address bytes; IPv4-mapped IPv6 addresses hash as their IPv4 address.</summary>
    public static ulong HashAddress(IPAddress address)
    {
        Span<byte> bytes = stackalloc byte[16];
        if (!address.TryWriteBytes(bytes, out var written))
        {
            // Unreachable: no address family IPAddress supports is longer than 16 bytes.
            throw new InvalidOperationException($"Cannot write the bytes of address family {address.AddressFamily}.");
        }

        ReadOnlySpan<byte> key = bytes[..written];
        if (address.IsIPv4MappedToIPv6)
        {
            // ::ffff:a.b.c.d carries the IPv4 address in its last 4 bytes.
            key = key[12..];
        }

        return XxHash64.Hash(key);
    }
}
