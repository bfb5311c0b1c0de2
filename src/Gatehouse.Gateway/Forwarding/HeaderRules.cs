using System.Collections.Frozen;
using System.Globalization;
using System.Runtime.CompilerServices;
using Microsoft.Extensions.Primitives;
using Microsoft.Net.Http.Headers;

namespace Gatehouse.Gateway.Forwarding;

/// <summary>Header names and checks shared by the request and response header copiers.</summary>
internal static class HeaderRules
{
    /// <summary>Header carrying the request id, kept from the client or generated (docs/architecture.md, the error codes).</summary>
    public const string RequestId = "X-Request-Id";

    public const string ForwardedFor = "X-Forwarded-For";
    public const string ForwardedProto = "X-Forwarded-Proto";
    public const string ForwardedHost = "X-Forwarded-Host";

    /// <summary>
    /// Gateways the request has passed: read (and bounded) by the request guard, written to the upstream request
    /// as the incoming count + 1 by the request copier.
    /// </summary>
    public const string Hops = "X-Gatehouse-Hops";

    /// <summary>
    /// Connection-specific fields never forwarded in either direction. RFC 9110 §7.6.1 names Connection,
    /// Proxy-Connection, Keep-Alive, TE, Transfer-Encoding and Upgrade; Proxy-Authorization, Proxy-Authenticate
    /// and Proxy-Authentication-Info are addressed to the proxy hop (RFC 9110 §11.7); HTTP2-Settings is
    /// connection-specific (RFC 9113 §8.2.2, RFC 7540 §3.2.1); Alt-Svc advertises the node's endpoints, not ours
    /// (RFC 7838). Trailer is dropped because trailers are only relayed when the client's protocol can carry them
    /// (see <see cref="ResponseHeaderCopier"/>). Upgrade is re-added explicitly for upgrade requests.
    /// </summary>
    public static readonly FrozenSet<string> HopByHop = FrozenSet.Create(StringComparer.OrdinalIgnoreCase,
    [
        HeaderNames.Connection,
        HeaderNames.KeepAlive,
        HeaderNames.ProxyConnection,
        HeaderNames.TE,
        HeaderNames.Trailer,
        HeaderNames.TransferEncoding,
        HeaderNames.Upgrade,
        HeaderNames.ProxyAuthorization,
        HeaderNames.ProxyAuthenticate,
        "Proxy-Authentication-Info",
        "HTTP2-Settings",
        HeaderNames.AltSvc,
    ]);

    /// <summary>
    /// Request headers the forwarder writes itself instead of copying: Host comes from the node address and the
    /// X-Forwarded-* and X-Request-Id values are rebuilt. The client-certificate headers come only from the verified
    /// certificate of the connection, so a caller's own copies are dropped on every request. The debug token
    /// (<c>X-Gatehouse-Debug</c>) is for the gateway alone and never reaches a node, valid or not.
    /// </summary>
    public static readonly FrozenSet<string> RequestRewritten = FrozenSet.Create(StringComparer.OrdinalIgnoreCase,
    [
        HeaderNames.Host,
        ForwardedFor,
        ForwardedProto,
        ForwardedHost,
        RequestId,
        Hosting.Tls.ClientCertificateIdentity.SubjectHeader,
        Hosting.Tls.ClientCertificateIdentity.Sha256Header,
        Core.Security.DebugToken.Header,
    ]);

    /// <summary>
    /// Headers that System.Net.Http only accepts on <see cref="HttpContent"/> (HttpHeaderType.Content in
    /// System.Net.Http's KnownHeaders).
    /// </summary>
    public static readonly FrozenSet<string> Content = FrozenSet.Create(StringComparer.OrdinalIgnoreCase,
    [
        HeaderNames.Allow,
        HeaderNames.ContentDisposition,
        HeaderNames.ContentEncoding,
        HeaderNames.ContentLanguage,
        HeaderNames.ContentLength,
        HeaderNames.ContentLocation,
        HeaderNames.ContentMD5,
        HeaderNames.ContentRange,
        HeaderNames.ContentType,
        HeaderNames.Expires,
        HeaderNames.LastModified,
    ]);

    /// <summary>What the request copier does with a header name.</summary>
    public enum RequestHeaderKind : byte
    {
        /// <summary>Not in the table: copied to the request headers.</summary>
        Copy = 0,

        /// <summary>Hop-by-hop or rewritten by the forwarder: not copied.</summary>
        Skip,

        /// <summary>Copied to the content headers.</summary>
        Content,

        /// <summary>
        /// W3C <c>traceparent</c>: replaced by the gateway's own (the upstream attempt's span) when the request is
        /// traced through the handler, else copied.
        /// </summary>
        TraceParent,

        /// <summary><see cref="Hops"/>: not copied; the upstream gets the incoming count + 1.</summary>
        Hops,
    }

    /// <summary>
    /// <see cref="HopByHop"/>, <see cref="RequestRewritten"/> and <see cref="Content"/> in one table, so the
    /// request copier classifies each header with a single hash lookup.
    /// </summary>
    public static readonly FrozenDictionary<string, RequestHeaderKind> RequestHeaderKinds = BuildRequestHeaderKinds();

    /// <summary>"0" to "64": the hop counts a request normally carries, as strings made once.</summary>
    private static readonly string[] HopValues = BuildHopValues();

    /// <summary>The <see cref="Hops"/> value for <paramref name="count"/>; allocates only past 64 hops.</summary>
    public static string HopValue(int count) =>
        (uint)count < (uint)HopValues.Length ? HopValues[count] : count.ToString(CultureInfo.InvariantCulture);

    private static string[] BuildHopValues()
    {
        var values = new string[65];
        for (var i = 0; i < values.Length; i++)
        {
            values[i] = i.ToString(CultureInfo.InvariantCulture);
        }

        return values;
    }

    private static FrozenDictionary<string, RequestHeaderKind> BuildRequestHeaderKinds()
    {
        var kinds = new Dictionary<string, RequestHeaderKind>(StringComparer.OrdinalIgnoreCase);
        foreach (var name in Content)
        {
            kinds[name] = RequestHeaderKind.Content;
        }

        foreach (var name in HopByHop)
        {
            kinds[name] = RequestHeaderKind.Skip;
        }

        foreach (var name in RequestRewritten)
        {
            kinds[name] = RequestHeaderKind.Skip;
        }

        kinds[Observability.GatewayTracing.TraceParentHeader] = RequestHeaderKind.TraceParent;
        kinds[Hops] = RequestHeaderKind.Hops;

        return kinds.ToFrozenDictionary(StringComparer.OrdinalIgnoreCase);
    }

    /// <summary>
    /// A header value must not contain CR or LF: forwarding one would allow header injection (RFC 9110 §5.5).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static bool ContainsNewLine(string? value) => value is not null && value.AsSpan().IndexOfAny('\r', '\n') >= 0;

    /// <summary>True when any of the values contains CR or LF.</summary>
    public static bool ContainsNewLine(StringValues values)
    {
        if (values.Count == 1)
        {
            return ContainsNewLine(values.ToString());
        }

        foreach (var value in values)
        {
            if (ContainsNewLine(value))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>
    /// True when a Connection header value lists an option other than the hop-by-hop ones already dropped
    /// (close, keep-alive, upgrade), i.e. when per-header <see cref="IsListedInConnection"/> checks are needed.
    /// Most requests carry no Connection header or only keep-alive/close, so this keeps the common path free of
    /// per-header parsing.
    /// </summary>
    public static bool HasCustomConnectionOptions(string? connection)
    {
        if (string.IsNullOrEmpty(connection))
        {
            return false;
        }

        var rest = connection.AsSpan();
        while (NextToken(ref rest, out var token))
        {
            if (!token.Equals("close", StringComparison.OrdinalIgnoreCase)
                && !token.Equals("keep-alive", StringComparison.OrdinalIgnoreCase)
                && !token.Equals("upgrade", StringComparison.OrdinalIgnoreCase))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>
    /// True when <paramref name="name"/> is one of the connection options listed in <paramref name="connection"/>;
    /// such fields apply to the current connection only and must not be forwarded (RFC 9110 §7.6.1).
    /// </summary>
    public static bool IsListedInConnection(string connection, string name)
    {
        var rest = connection.AsSpan();
        while (NextToken(ref rest, out var token))
        {
            if (token.Equals(name, StringComparison.OrdinalIgnoreCase))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>Reads the next comma-separated token (RFC 9110 §5.6.1 list syntax), trimmed; skips empty elements.</summary>
    public static bool NextToken(ref ReadOnlySpan<char> rest, out ReadOnlySpan<char> token)
    {
        while (!rest.IsEmpty)
        {
            var comma = rest.IndexOf(',');
            ReadOnlySpan<char> element;
            if (comma < 0)
            {
                element = rest;
                rest = default;
            }
            else
            {
                element = rest[..comma];
                rest = rest[(comma + 1)..];
            }

            element = element.Trim(" \t");
            if (!element.IsEmpty)
            {
                token = element;
                return true;
            }
        }

        token = default;
        return false;
    }
}
