using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace Gatehouse.Core.Security;

/// <summary>
/// The appKey/appSecret request signature shared by the gateway (verifies) and the SDK (signs): HMAC-SHA256 with
/// the app's secret over a canonical form of the request, base64 in <see cref="SignatureHeader"/>.
/// </summary>
/// <remarks>
/// <para>String to sign, lines joined by <c>\n</c> (no trailing newline):</para>
/// <code>
/// GATEHOUSE-HMAC-SHA256
/// {appKey}
/// {METHOD}
/// {canonical path}
/// {canonical query}
/// {name}:{value}       one line per signed header, names lower-case and sorted
/// {hex(SHA-256(body))}
/// {timestamp, Unix ms}
/// {nonce}
/// </code>
/// <para>Path and query are taken from the request target as sent, percent-decoded and re-encoded the RFC 3986 way
/// (only <c>A-Z a-z 0-9 - . _ ~</c> stay literal, <c>%XX</c> upper-case; '/' separates path segments and a
/// decoded <c>%2F</c> becomes '/'); <c>+</c> is not a space. Query parameters are sorted by encoded name, then
/// encoded value, and written <c>name=value</c> joined by <c>&amp;</c>; a parameter without '=' gets an empty value.
/// Header values are trimmed; repeated header lines are joined with ', '; a missing signed header signs as empty.</para>
/// </remarks>
public static class RequestSigning
{
    public const string Algorithm = "GATEHOUSE-HMAC-SHA256";
    public const string AppKeyHeader = "X-Gatehouse-AppKey";
    public const string TimestampHeader = "X-Gatehouse-Timestamp";
    public const string NonceHeader = "X-Gatehouse-Nonce";
    public const string SignatureHeader = "X-Gatehouse-Signature";

    /// <summary>Hex SHA-256 of an empty body, the common case.</summary>
    public static readonly string EmptyBodyHash = Convert.ToHexStringLower(SHA256.HashData([]));

    /// <summary>Builds the string to sign; <paramref name="headers"/> are (name, value) pairs in any order and case.</summary>
    public static string StringToSign(string appKey, string method, string canonicalPath, string canonicalQuery,
        IReadOnlyList<KeyValuePair<string, string>> headers, string bodySha256Hex, long timestampMs, string nonce)
    {
        var builder = new StringBuilder(256);
        builder.Append(Algorithm).Append('\n')
            .Append(appKey).Append('\n')
            .Append(method.ToUpperInvariant()).Append('\n')
            .Append(canonicalPath).Append('\n')
            .Append(canonicalQuery).Append('\n');
        if (headers.Count > 0)
        {
            var sorted = new KeyValuePair<string, string>[headers.Count];
            for (var i = 0; i < sorted.Length; i++)
            {
                sorted[i] = new(headers[i].Key.ToLowerInvariant(), headers[i].Value.Trim());
            }

            Array.Sort(sorted, static (a, b) => string.CompareOrdinal(a.Key, b.Key));
            foreach (var (name, value) in sorted)
            {
                builder.Append(name).Append(':').Append(value).Append('\n');
            }
        }

        builder.Append(bodySha256Hex).Append('\n')
            .Append(timestampMs.ToString(CultureInfo.InvariantCulture)).Append('\n')
            .Append(nonce);
        return builder.ToString();
    }

    /// <summary>Base64 of HMAC-SHA256(secret, UTF-8 string to sign).</summary>
    public static string Sign(ReadOnlySpan<byte> secret, string stringToSign)
    {
        Span<byte> mac = stackalloc byte[HMACSHA256.HashSizeInBytes];
        Mac(secret, stringToSign, mac);
        return Convert.ToBase64String(mac);
    }

    /// <summary>Checks a base64 signature in constant time (for equal lengths).</summary>
    public static bool Verify(ReadOnlySpan<byte> secret, string stringToSign, string signature)
    {
        Span<byte> expected = stackalloc byte[HMACSHA256.HashSizeInBytes];
        Mac(secret, stringToSign, expected);
        Span<byte> given = stackalloc byte[64];
        if (!Convert.TryFromBase64String(signature, given, out var written))
        {
            return false;
        }

        return CryptographicOperations.FixedTimeEquals(expected, given[..written]);
    }

    /// <summary>Canonical path of a raw request path (the part of the target before '?').</summary>
    public static string CanonicalPath(ReadOnlySpan<char> rawPath)
    {
        if (rawPath.IsEmpty)
        {
            return "/";
        }

        var builder = new StringBuilder(rawPath.Length + 8);
        AppendEncoded(builder, rawPath, keepSlash: true);
        return builder.ToString();
    }

    /// <summary>Canonical query of a raw query string, with or without its leading '?'.</summary>
    public static string CanonicalQuery(ReadOnlySpan<char> rawQuery)
    {
        if (!rawQuery.IsEmpty && rawQuery[0] == '?')
        {
            rawQuery = rawQuery[1..];
        }

        if (rawQuery.IsEmpty)
        {
            return "";
        }

        var pairs = new List<KeyValuePair<string, string>>();
        foreach (var range in rawQuery.Split('&'))
        {
            var part = rawQuery[range];
            if (part.IsEmpty)
            {
                continue;
            }

            var equals = part.IndexOf('=');
            var name = new StringBuilder();
            var value = new StringBuilder();
            AppendEncoded(name, equals < 0 ? part : part[..equals], keepSlash: false);
            if (equals >= 0)
            {
                AppendEncoded(value, part[(equals + 1)..], keepSlash: false);
            }

            pairs.Add(new(name.ToString(), value.ToString()));
        }

        pairs.Sort(static (a, b) =>
        {
            var byName = string.CompareOrdinal(a.Key, b.Key);
            return byName != 0 ? byName : string.CompareOrdinal(a.Value, b.Value);
        });
        var result = new StringBuilder(rawQuery.Length + 8);
        for (var i = 0; i < pairs.Count; i++)
        {
            if (i > 0)
            {
                result.Append('&');
            }

            result.Append(pairs[i].Key).Append('=').Append(pairs[i].Value);
        }

        return result.ToString();
    }

    /// <summary>Lower-case hex SHA-256 of a body.</summary>
    public static string BodyHash(ReadOnlySpan<byte> body) => body.IsEmpty ? EmptyBodyHash : Convert.ToHexStringLower(SHA256.HashData(body));

    private static void Mac(ReadOnlySpan<byte> secret, string stringToSign, Span<byte> destination)
    {
        var length = Encoding.UTF8.GetByteCount(stringToSign);
        var rented = length <= 1024 ? null : System.Buffers.ArrayPool<byte>.Shared.Rent(length);
        var bytes = rented is null ? stackalloc byte[length] : rented.AsSpan(0, length);
        Encoding.UTF8.GetBytes(stringToSign, bytes);
        HMACSHA256.HashData(secret, bytes, destination);
        if (rented is not null)
        {
            System.Buffers.ArrayPool<byte>.Shared.Return(rented);
        }
    }

    /// <summary>Percent-decodes <paramref name="raw"/> to UTF-8 bytes, then writes them RFC 3986 encoded.</summary>
    private static void AppendEncoded(StringBuilder builder, ReadOnlySpan<char> raw, bool keepSlash)
    {
        var bytes = new List<byte>(raw.Length);
        Span<byte> utf8 = stackalloc byte[4];
        for (var i = 0; i < raw.Length; i++)
        {
            var c = raw[i];
            if (c == '%' && i + 2 < raw.Length
                && byte.TryParse(raw.Slice(i + 1, 2), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var decoded))
            {
                bytes.Add(decoded);
                i += 2;
            }
            else if (char.IsHighSurrogate(c) && i + 1 < raw.Length)
            {
                var n = Encoding.UTF8.GetBytes(raw.Slice(i, 2), utf8);
                for (var k = 0; k < n; k++)
                {
                    bytes.Add(utf8[k]);
                }

                i++;
            }
            else
            {
                var n = Encoding.UTF8.GetBytes(raw.Slice(i, 1), utf8);
                for (var k = 0; k < n; k++)
                {
                    bytes.Add(utf8[k]);
                }
            }
        }

        foreach (var b in bytes)
        {
            if (char.IsAsciiLetterOrDigit((char)b) || b is (byte)'-' or (byte)'.' or (byte)'_' or (byte)'~' || (keepSlash && b == (byte)'/'))
            {
                builder.Append((char)b);
            }
            else
            {
                builder.Append('%').Append(b.ToString("X2", CultureInfo.InvariantCulture));
            }
        }
    }
}
