using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using Gatehouse.Gateway.Observability;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Primitives;
using Microsoft.Net.Http.Headers;

namespace Gatehouse.Gateway.Forwarding;

/// <summary>
/// Copies the client's request headers onto the upstream request by exclusion, then writes the headers the
/// gateway owns (X-Forwarded-*, X-Request-Id, X-Gatehouse-Hops, traceparent, and Connection/Upgrade for upgrades).
/// </summary>
internal static class RequestHeaderCopier
{
    /// <summary>
    /// Copies headers from <paramref name="context"/> to <paramref name="request"/>. Content headers go on
    /// <see cref="HttpRequestMessage.Content"/>; an empty content is attached when the request has content headers
    /// (for example Content-Length: 0) but no body, so they are not lost.
    /// </summary>
    /// <param name="context">The client request.</param>
    /// <param name="request">The upstream request; its <see cref="HttpRequestMessage.Content"/> is already set when there is a body.</param>
    /// <param name="isUpgrade">True for an HTTP/1.1 upgrade: Connection: Upgrade and the Upgrade header are forwarded.</param>
    /// <param name="requestId">From <see cref="ResolveRequestId"/>.</param>
    public static void Copy(HttpContext context, HttpRequestMessage request, bool isUpgrade, string requestId)
    {
        var source = context.Request.Headers;
        var target = request.Headers;

        var connection = source.Connection;
        var connectionValue = connection.Count == 0 ? null : connection.ToString();
        var checkConnectionOptions = HeaderRules.HasCustomConnectionOptions(connectionValue);

        // RFC 9112 §6.3: Transfer-Encoding overrides Content-Length; forwarding both is a request smuggling
        // vector, so the length is dropped and the body streamed with the upstream's own framing.
        var dropContentLength = source.ContainsKey(HeaderNames.TransferEncoding);

        // The attempt's traceparent (its client span, or the request's trace id with a fresh parent id), set by
        // the request handler; null when the forwarder runs without it, and the client's is passed through.
        var traceparent = context.Features.Get<RequestTelemetry>()?.UpstreamTraceparent;
        var hops = 0;

        using var entries = HeaderEntries.Copy(source);
        foreach (var header in entries.Span)
        {
            var name = header.Key;
            HeaderRules.RequestHeaderKinds.TryGetValue(name, out var kind);
            if (kind == HeaderRules.RequestHeaderKind.Hops)
            {
                hops = IncomingHops(header.Value);
                continue;
            }

            if (kind == HeaderRules.RequestHeaderKind.Skip
                || (kind == HeaderRules.RequestHeaderKind.TraceParent && traceparent is not null)
                || name.StartsWith(':') // HTTP/2 pseudo-headers map to the request line, not to fields.
                || (checkConnectionOptions && HeaderRules.IsListedInConnection(connectionValue!, name))
                || HeaderRules.ContainsNewLine(header.Value))
            {
                continue;
            }

            if (kind == HeaderRules.RequestHeaderKind.Content)
            {
                if (dropContentLength && name.Equals(HeaderNames.ContentLength, StringComparison.OrdinalIgnoreCase))
                {
                    continue;
                }

                request.Content ??= new EmptyRequestContent();
                Add(request.Content.Headers, name, header.Value);
            }
            else
            {
                Add(target, name, header.Value);
            }
        }

        // RFC 9113 §8.2.2: "TE: trailers" is the one TE value HTTP/2 allows, and gRPC requires it. It is only
        // forwarded when the client's own protocol can receive the trailers we relay.
        if (HttpProtocol.IsHttp2(context.Request.Protocol) || HttpProtocol.IsHttp3(context.Request.Protocol))
        {
            ForwardTeTrailers(source, target);
        }

        if (isUpgrade)
        {
            // RFC 9110 §7.8: an upgrade needs both headers on this hop; they were excluded above as hop-by-hop.
            target.TryAddWithoutValidation(HeaderNames.Connection, "Upgrade");
            Add(target, HeaderNames.Upgrade, source.Upgrade);
        }

        AddForwardedHeaders(context, source, target);
        target.TryAddWithoutValidation(HeaderRules.RequestId, requestId);

        // Loop detection: the next gateway refuses the request once this count reaches its MaxHops. Set here on
        // the upstream request, not written into the client's headers: an extra incoming header costs Kestrel a
        // dictionary insert per request and was copied by the generic path anyway.
        target.TryAddWithoutValidation(HeaderRules.Hops, HeaderRules.HopValue(hops + 1));
        if (traceparent is not null)
        {
            target.TryAddWithoutValidation(GatewayTracing.TraceParentHeader, traceparent);
        }
    }

    /// <summary>
    /// Returns the request id of this exchange: the client's X-Request-Id when acceptable, else a generated one,
    /// which is then stored in the request headers so a retry on another node, the access log and the problem
    /// response all see the same id. Also sets it on the response so the client can quote it. Idempotent.
    /// </summary>
    public static string ResolveRequestId(HttpContext context)
    {
        var headers = context.Request.Headers;
        var incoming = headers[HeaderRules.RequestId];
        string requestId;
        if (incoming.Count == 1 && RequestIdGenerator.IsAcceptable(incoming.ToString()))
        {
            requestId = incoming.ToString();
        }
        else
        {
            requestId = RequestIdGenerator.Next();
            headers[HeaderRules.RequestId] = requestId;
        }

        // The response copier does not let the node overwrite it.
        context.Response.Headers[HeaderRules.RequestId] = requestId;
        return requestId;
    }

    /// <summary>
    /// The client's hop count. The request guard has already refused anything but one non-negative integer below
    /// MaxHops; a request forwarded without the guard counts unreadable values as 0.
    /// </summary>
    private static int IncomingHops(StringValues values) =>
        values.Count == 1 && int.TryParse(values[0], NumberStyles.None, CultureInfo.InvariantCulture, out var hops)
            && hops < int.MaxValue
            ? hops
            : 0;

    private static void AddForwardedHeaders(HttpContext context, IHeaderDictionary source, HttpRequestHeaders target)
    {
        // X-Forwarded-For: keep the chain the client (or a proxy in front) sent and append the peer address.
        // Values are added separately; System.Net.Http joins them with ", " on the wire, so no string is built.
        var existingFor = source[HeaderRules.ForwardedFor];
        if (existingFor.Count > 0 && !HeaderRules.ContainsNewLine(existingFor))
        {
            Add(target, HeaderRules.ForwardedFor, existingFor);
        }

        var remote = context.Connection.RemoteIpAddress;
        if (remote is not null)
        {
            if (remote.IsIPv4MappedToIPv6)
            {
                // Dual-stack sockets report IPv4 peers as ::ffff:a.b.c.d; upstreams expect the IPv4 form.
                remote = remote.MapToIPv4();
            }

            // IPAddress caches its string and Kestrel keeps one instance per connection, so keep-alive
            // requests do not format it again.
            target.TryAddWithoutValidation(HeaderRules.ForwardedFor, remote.ToString());
        }

        // Proto and Host describe the hop into the gateway; the client's own values are replaced, not trusted.
        target.TryAddWithoutValidation(HeaderRules.ForwardedProto, context.Request.Scheme);
        var host = context.Request.Host.Value;
        if (!string.IsNullOrEmpty(host))
        {
            target.TryAddWithoutValidation(HeaderRules.ForwardedHost, host);
        }

        // Only a certificate the TLS handshake verified is on the connection (ServerTls refuses any other).
        if (context.Connection.ClientCertificate is { } certificate)
        {
            var identity = Hosting.Tls.ClientCertificateIdentity.Of(certificate);
            target.TryAddWithoutValidation(Hosting.Tls.ClientCertificateIdentity.SubjectHeader, identity.SubjectHeaderValue);
            target.TryAddWithoutValidation(Hosting.Tls.ClientCertificateIdentity.Sha256Header, identity.Sha256);
        }
    }

    private static void ForwardTeTrailers(IHeaderDictionary source, HttpRequestHeaders target)
    {
        foreach (var value in source.TE)
        {
            var rest = value.AsSpan();
            while (HeaderRules.NextToken(ref rest, out var token))
            {
                if (token.Equals("trailers", StringComparison.OrdinalIgnoreCase))
                {
                    target.TryAddWithoutValidation(HeaderNames.TE, "trailers");
                    return;
                }
            }
        }
    }

    private static void Add(HttpHeaders headers, string name, StringValues values)
    {
        // TryAddWithoutValidation: values were validated by Kestrel; re-parsing them is wasted work and could
        // reject or reformat values the node expects verbatim.
        if (values.Count == 1)
        {
            headers.TryAddWithoutValidation(name, values.ToString());
        }
        else if (values.Count > 1)
        {
            headers.TryAddWithoutValidation(name, (string[])values!);
        }
    }
}

/// <summary>
/// A zero-length body that only carries content headers for requests without a body, such as
/// <c>Content-Length: 0</c> on a POST.
/// </summary>
internal sealed class EmptyRequestContent : HttpContent
{
    /// <inheritdoc/>
    protected override Task SerializeToStreamAsync(Stream stream, TransportContext? context) => Task.CompletedTask;

    /// <inheritdoc/>
    protected override Task SerializeToStreamAsync(Stream stream, TransportContext? context, CancellationToken cancellationToken)
        => Task.CompletedTask;

    /// <inheritdoc/>
    protected override bool TryComputeLength(out long length)
    {
        length = 0;
        return true;
    }
}
