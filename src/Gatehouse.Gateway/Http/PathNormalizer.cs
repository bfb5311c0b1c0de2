using System.Buffers;

namespace Gatehouse.Gateway.Http;

/// <summary>
/// The path rule applied before matching, so an API is matched on the same path the node receives. Kestrel has
/// already percent-decoded the path (all but <c>%2F</c>) and removed dot segments; on top of that:
/// </summary>
/// <remarks>
/// <list type="bullet">
/// <item>Refused (400 <c>bad_request</c>): an escape still present after decoding, i.e. an encoded slash
/// (<c>%2F</c>, which Kestrel leaves encoded) or a double-encoded character (<c>%252e</c> decodes to <c>%2e</c>);
/// a backslash, raw or encoded (<c>%5C</c>), which some servers treat as a slash; control characters.
/// A node that decodes once more would otherwise see a different path (<c>/a/..%2fadmin</c> → <c>/admin</c>)
/// than the one the gateway matched and checked the policy for.</item>
/// <item>Normalised: runs of slashes collapse to one (<c>//admin</c> → <c>/admin</c>), then dot segments are removed
/// per RFC 3986 §5.2.4 (again, for targets Kestrel did not normalise). The result is what is matched and forwarded.</item>
/// </list>
/// A path that needs neither is returned as is, after one vectorised scan.
/// </remarks>
internal static class PathNormalizer
{
    private static readonly SearchValues<char> Suspicious = SearchValues.Create(
        "%\\\u0000\u0001\u0002\u0003\u0004\u0005\u0006\u0007\u0008\u0009\u000A\u000B\u000C\u000D\u000E\u000F" +
        "\u0010\u0011\u0012\u0013\u0014\u0015\u0016\u0017\u0018\u0019\u001A\u001B\u001C\u001D\u001E\u001F\u007F");

    /// <summary>Returns false with a reason when the path is refused; otherwise the path to match and forward.</summary>
    public static bool TryNormalize(string path, out string normalized, out string? error)
    {
        normalized = path;
        error = null;
        var span = path.AsSpan();
        var suspicious = span.IndexOfAny(Suspicious);
        if (suspicious >= 0)
        {
            for (var i = suspicious; i < span.Length; i++)
            {
                var c = span[i];
                if (c == '\\')
                {
                    error = "The path contains a backslash.";
                    return false;
                }

                if (c < 0x20 || c == 0x7F)
                {
                    error = "The path contains a control character.";
                    return false;
                }

                if (c == '%' && i + 2 < span.Length && char.IsAsciiHexDigit(span[i + 1]) && char.IsAsciiHexDigit(span[i + 2]))
                {
                    error = "The path contains an encoded slash or a double-encoded character.";
                    return false;
                }
            }
        }

        if (!span.Contains("//", StringComparison.Ordinal) && !HasDotSegment(span))
        {
            return true;
        }

        normalized = Rebuild(span);
        return true;
    }

    /// <summary>True when a segment is exactly "." or ".." (not ".well-known" or "..b").</summary>
    private static bool HasDotSegment(ReadOnlySpan<char> path)
    {
        var index = path.IndexOf("/.", StringComparison.Ordinal);
        while (index >= 0)
        {
            var rest = path[(index + 2)..];
            if (rest.IsEmpty || rest[0] == '/' || (rest[0] == '.' && (rest.Length == 1 || rest[1] == '/')))
            {
                return true;
            }

            path = rest;
            index = path.IndexOf("/.", StringComparison.Ordinal);
        }

        return false;
    }

    /// <summary>Collapses slashes and resolves dot segments; only reached for paths that may need it.</summary>
    private static string Rebuild(ReadOnlySpan<char> path)
    {
        var segments = new List<Range>();
        var trailingSlash = path.Length > 0 && path[^1] == '/';
        var start = 0;
        for (var i = 0; i <= path.Length; i++)
        {
            if (i < path.Length && path[i] != '/')
            {
                continue;
            }

            var segment = path[start..i];
            start = i + 1;
            if (segment.IsEmpty || segment is ".")
            {
                continue;
            }

            if (segment is "..")
            {
                if (segments.Count > 0)
                {
                    segments.RemoveAt(segments.Count - 1);
                }

                continue;
            }

            segments.Add(new Range(i - segment.Length, i));
        }

        // A path ending in a dot segment names a directory (RFC 3986 §5.2.4 keeps the slash).
        trailingSlash |= path.EndsWith("/.", StringComparison.Ordinal) || path.EndsWith("/..", StringComparison.Ordinal);
        var builder = new System.Text.StringBuilder(path.Length);
        foreach (var range in segments)
        {
            builder.Append('/').Append(path[range]);
        }

        if (builder.Length == 0 || trailingSlash)
        {
            builder.Append('/');
        }

        return builder.ToString();
    }
}
