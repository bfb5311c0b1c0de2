using System.Net.Http.Headers;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Extensions.Primitives;
using Microsoft.Net.Http.Headers;

namespace Gatehouse.Gateway.Forwarding;

/// <summary>Copies the upstream status line, headers and trailers onto the client response, by exclusion.</summary>
internal static class ResponseHeaderCopier
{
    /// <summary>
    /// Copies status, reason phrase (HTTP/1.x clients only) and headers. Headers are read through
    /// <see cref="HttpHeaders.NonValidated"/>: the node's values are relayed verbatim, without the cost and the
    /// rewriting of System.Net.Http's parsers.
    /// </summary>
    /// <param name="source">The upstream response.</param>
    /// <param name="context">The client exchange.</param>
    /// <param name="isUpgrade">True for a 101 response to an upgrade request: the Upgrade header is relayed.</param>
    public static void CopyStatusAndHeaders(HttpResponseMessage source, HttpContext context, bool isUpgrade)
    {
        var response = context.Response;
        var statusCode = (int)source.StatusCode;
        response.StatusCode = statusCode;

        if (!HttpProtocol.IsHttp2(context.Request.Protocol) && !HttpProtocol.IsHttp3(context.Request.Protocol)
            && source.ReasonPhrase is { } reason
            && !string.Equals(reason, ReasonPhrases.GetReasonPhrase(statusCode), StringComparison.Ordinal)
            && !HeaderRules.ContainsNewLine(reason))
        {
            // HTTP/2 and HTTP/3 have no reason phrase (RFC 9113 §8.3.2).
            context.Features.Get<IHttpResponseFeature>()!.ReasonPhrase = reason;
        }

        var trailers = context.Features.Get<IHttpResponseTrailersFeature>()?.Trailers;
        var keepTrailerHeader = trailers is not null && !trailers.IsReadOnly;

        var headers = response.Headers;
        string? connection = null;
        if (source.Headers.NonValidated.TryGetValues(HeaderNames.Connection, out var connectionValues))
        {
            connection = connectionValues.ToString();
            if (!HeaderRules.HasCustomConnectionOptions(connection))
            {
                connection = null;
            }
        }

        Copy(source.Headers, headers, connection, isUpgrade, keepTrailerHeader);
        Copy(source.Content.Headers, headers, connection, isUpgrade, keepTrailerHeader);

        // RFC 9112 §6.3: a message with both Transfer-Encoding and Content-Length is framed by the former; the
        // length must not be forwarded (response splitting).
        if (source.Headers.NonValidated.Contains(HeaderNames.TransferEncoding))
        {
            headers.ContentLength = null;
        }

        // RFC 9110 §8.6: no Content-Length in 1xx and 204 responses; 205 carries no content (§15.3.6).
        if (statusCode is < 200 or 204 or 205)
        {
            headers.ContentLength = null;
        }
    }

    /// <summary>
    /// Copies upstream trailers when the client's protocol carries them (HTTP/2 and HTTP/3 in Kestrel). Call
    /// after the response body was read to the end; trailers only exist then.
    /// </summary>
    public static void CopyTrailers(HttpResponseMessage source, HttpContext context)
    {
        var trailers = context.Features.Get<IHttpResponseTrailersFeature>()?.Trailers;
        if (trailers is null || trailers.IsReadOnly)
        {
            // NOTE: TrailingHeaders is not touched for HTTP/1.1 clients; the getter allocates the collection.
            return;
        }

        foreach (var header in source.TrailingHeaders.NonValidated)
        {
            var name = header.Key;
            if (HeaderRules.HopByHop.Contains(name) || name.StartsWith(':'))
            {
                continue;
            }

            Append(trailers, name, header.Value);
        }
    }

    private static void Copy(HttpHeaders source, IHeaderDictionary target, string? connection, bool isUpgrade, bool keepTrailerHeader)
    {
        foreach (var header in source.NonValidated)
        {
            var name = header.Key;
            if (HeaderRules.HopByHop.Contains(name))
            {
                if (!((isUpgrade && name.Equals(HeaderNames.Upgrade, StringComparison.OrdinalIgnoreCase))
                    || (keepTrailerHeader && name.Equals(HeaderNames.Trailer, StringComparison.OrdinalIgnoreCase))))
                {
                    continue;
                }
            }
            else if (name.Equals(HeaderRules.RequestId, StringComparison.OrdinalIgnoreCase)
                || (connection is not null && HeaderRules.IsListedInConnection(connection, name)))
            {
                // X-Request-Id: the gateway's value was set before forwarding and stays authoritative.
                continue;
            }

            Append(target, name, header.Value);
        }
    }

    private static void Append(IHeaderDictionary target, string name, HeaderStringValues values)
    {
        StringValues converted;
        if (values.Count <= 1)
        {
            // A single value is held as one string: no allocation.
            converted = values.ToString();
        }
        else
        {
            var array = new string[values.Count];
            var i = 0;
            foreach (var value in values)
            {
                array[i++] = value;
            }

            converted = array;
        }

        if (HeaderRules.ContainsNewLine(converted))
        {
            return;
        }

        // Appends to values a filter may have set before forwarding (not IHeaderDictionary.Append, which skips
        // empty values: an empty header is still a header).
        var existing = target[name];
        target[name] = existing.Count == 0 ? converted : StringValues.Concat(existing, converted);
    }
}
