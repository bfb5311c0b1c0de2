using System.Globalization;
using Gatehouse.Gateway.Forwarding;
using Gatehouse.Gateway.Hosting;
using Gatehouse.Gateway.Http;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Primitives;
using Microsoft.Net.Http.Headers;

namespace Gatehouse.Gateway.Pipeline;

/// <summary>
/// Checks every proxied request before routing sees it: method length, header count and size, message framing (request
/// smuggling), target length, forwarding loops and the path rule (<see cref="PathNormalizer"/>); then resolves
/// the client address once (<see cref="TrustedProxies"/>). Each check is a few comparisons on headers Kestrel has
/// already parsed, and none allocates on an ordinary request. The guard only reads the request's headers; the
/// incremented hop count goes onto the upstream request (<c>RequestHeaderCopier</c>).
/// </summary>
internal sealed class RequestGuard
{
    /// <summary>Hop counter each gateway increments; over <see cref="GatewayLimits.MaxHops"/> the request is refused.</summary>
    public const string HopsHeader = HeaderRules.Hops;

    private const string KestrelMovedContentLength = "X-Content-Length";

    private static readonly KeyValuePair<string, string>[] CloseConnection = [new("Connection", "close")];

    private readonly GatewayLimits _limits;
    private readonly TrustedProxies _trustedProxies;

    public RequestGuard(IOptions<GatewayOptions> options, TrustedProxies trustedProxies)
    {
        _limits = options.Value.Limits;
        _trustedProxies = trustedProxies;

        // Checked at start: a zero limit would refuse every request, which is never what was meant.
        if (_limits.MaxHops < 1)
        {
            throw new InvalidOperationException($"{GatewayOptions.Section}:Limits:MaxHops must be 1 or more, got {_limits.MaxHops}.");
        }

        if (_limits.MaxUrlLength < 1)
        {
            throw new InvalidOperationException($"{GatewayOptions.Section}:Limits:MaxUrlLength must be 1 or more, got {_limits.MaxUrlLength}.");
        }

        if (_limits.MaxMethodLength < 1)
        {
            throw new InvalidOperationException($"{GatewayOptions.Section}:Limits:MaxMethodLength must be 1 or more, got {_limits.MaxMethodLength}.");
        }
    }

    /// <summary>Runs the checks; answers the request itself when one fails, else hands it to <paramref name="next"/>.</summary>
    public Task InvokeAsync(HttpContext context, RequestDelegate next)
    {
        var request = context.Request;
        var headers = request.Headers;

        // :: Method length. Kestrel accepts any token as a method; an over-long one is a client error (or a probe),
        // not an extension method worth a node's parser: 400 rather than 501, which would say the method exists.
        if (request.Method.Length > _limits.MaxMethodLength)
        {
            return ProblemWriter.WriteAsync(context, GatewayError.BadRequest,
                $"The request method is {request.Method.Length} characters long; the limit is {_limits.MaxMethodLength}.", CloseConnection);
        }

        // :: Header count and size. Kestrel's own limits are set to twice these, so an oversized request reaches
        // this check and gets problem JSON instead of Kestrel's bare status line; Kestrel's stay as the backstop.
        if (!HeadersWithinLimits(headers, _limits))
        {
            return ProblemWriter.WriteAsync(context, GatewayError.HeadersTooLarge);
        }

        // :: HTTP/2 and HTTP/3 frame the body themselves; a connection-specific field makes the request malformed
        // (RFC 9113 §8.2.2, RFC 9114 §4.2) and it must not be forwarded: a node or an HTTP/1.1 hop behind could act on
        // it. Kestrel resets `connection` and a `te` other than "trailers" itself; the rest are refused here.
        if (!HttpProtocol.IsHttp11(request.Protocol) && !HttpProtocol.IsHttp10(request.Protocol)
            && ConnectionSpecificField(headers) is { } field)
        {
            return ProblemWriter.WriteAsync(context, GatewayError.BadRequest,
                $"The {request.Protocol} request carries the connection-specific header field '{field}', which makes it malformed (RFC 9113 §8.2.2).");
        }

        // :: Framing. A request whose length two parties could read differently is refused and the connection closed:
        // its body cannot be skipped safely, and what follows on the connection might be a smuggled request.
        if (headers.ContainsKey(HeaderNames.TransferEncoding) || headers.ContainsKey(HeaderNames.ContentLength))
        {
            if (FramingProblem(headers) is { } framing)
            {
                return ProblemWriter.WriteAsync(context, GatewayError.BadRequest, framing, CloseConnection);
            }
        }

        // :: Target length, as sent (Kestrel's own, larger limit stays as the backstop).
        var target = context.Features.Get<IHttpRequestFeature>()?.RawTarget;
        if (target is not null && target.Length > _limits.MaxUrlLength)
        {
            return ProblemWriter.WriteAsync(context, GatewayError.UriTooLong,
                $"The request target is {target.Length} characters long; the limit is {_limits.MaxUrlLength}.");
        }

        // :: Forwarding loops. Only read here: the forwarder sends hops + 1 upstream.
        if (headers.TryGetValue(HopsHeader, out var hopValues))
        {
            if (hopValues.Count != 1 || !int.TryParse(hopValues[0], NumberStyles.None, CultureInfo.InvariantCulture, out var hops))
            {
                return ProblemWriter.WriteAsync(context, GatewayError.BadRequest, $"{HopsHeader} must be one non-negative integer.");
            }

            if (hops >= _limits.MaxHops)
            {
                return ProblemWriter.WriteAsync(context, GatewayError.LoopDetected,
                    $"The request has already passed {hops} gateways (limit {_limits.MaxHops}); a mapping probably points back at a gateway.");
            }
        }

        // :: Path rule: what is matched is what is forwarded.
        var path = request.Path.Value;
        if (!string.IsNullOrEmpty(path))
        {
            if (!PathNormalizer.TryNormalize(path, out var normalized, out var pathError))
            {
                return ProblemWriter.WriteAsync(context, GatewayError.BadRequest, pathError);
            }

            if (!ReferenceEquals(normalized, path))
            {
                request.Path = new PathString(normalized);
            }
        }

        _trustedProxies.Apply(context);
        return next(context);
    }

    /// <summary>True when the request has at most MaxRequestHeaderCount headers of at most MaxRequestHeadersTotalSize.</summary>
    /// <remarks>
    /// Sizes are names plus values in characters. Walked through <see cref="HeaderEntries"/>, which allocates
    /// nothing, where <c>foreach</c> over the interface would box Kestrel's enumerator on every request.
    /// </remarks>
    internal static bool HeadersWithinLimits(IHeaderDictionary headers, GatewayLimits limits)
    {
        if (headers.Count > limits.MaxRequestHeaderCount)
        {
            return false;
        }

        using var entries = HeaderEntries.Copy(headers);
        var total = 0;
        foreach (var (name, values) in entries.Span)
        {
            total += name.Length;
            for (var i = 0; i < values.Count; i++)
            {
                total += values[i]?.Length ?? 0;
            }
        }

        return total <= limits.MaxRequestHeadersTotalSize;
    }

    /// <summary>The first connection-specific field (RFC 9110 §7.6.1) of the request, or null; for HTTP/2 and HTTP/3.</summary>
    internal static string? ConnectionSpecificField(IHeaderDictionary headers)
    {
        if (headers.ContainsKey(HeaderNames.TransferEncoding))
        {
            return HeaderNames.TransferEncoding;
        }

        if (headers.ContainsKey(HeaderNames.KeepAlive))
        {
            return HeaderNames.KeepAlive;
        }

        if (headers.ContainsKey(HeaderNames.ProxyConnection))
        {
            return HeaderNames.ProxyConnection;
        }

        if (headers.ContainsKey(HeaderNames.Upgrade))
        {
            return HeaderNames.Upgrade;
        }

        // Kestrel resets these two itself; kept so the rule does not depend on it.
        if (headers.ContainsKey(HeaderNames.Connection))
        {
            return HeaderNames.Connection;
        }

        return headers.TryGetValue(HeaderNames.TE, out var te) && !(te.Count == 1 && string.Equals(te[0], "trailers", StringComparison.OrdinalIgnoreCase))
            ? HeaderNames.TE
            : null;
    }

    /// <summary>Null when the framing headers are unambiguous; else why not.</summary>
    /// <remarks>
    /// Kestrel already refuses a final transfer coding other than chunked and some malformed lengths; these checks
    /// cover what it accepts and a node or another proxy might read differently (RFC 9112 §6.1, §6.3).
    /// </remarks>
    internal static string? FramingProblem(IHeaderDictionary headers)
    {
        var transferEncoding = headers[HeaderNames.TransferEncoding];
        var contentLength = headers[HeaderNames.ContentLength];
        if (transferEncoding.Count > 0)
        {
            // Kestrel lets Transfer-Encoding win and hands the application the length renamed to X-Content-Length
            // (so it is not mistaken for the body's); a client has no reason to send that name with a chunked body.
            if (contentLength.Count > 0 || headers.ContainsKey(KestrelMovedContentLength))
            {
                return "The request has both Transfer-Encoding and Content-Length.";
            }

            if (transferEncoding.Count != 1 || !transferEncoding[0].AsSpan().Trim(" \t").Equals("chunked", StringComparison.OrdinalIgnoreCase))
            {
                return "The only Transfer-Encoding accepted on a request is a single 'chunked'.";
            }

            return null;
        }

        if (contentLength.Count > 1 || IsList(contentLength))
        {
            return "The request has more than one Content-Length.";
        }

        return null;
    }

    private static bool IsList(StringValues values) => values.Count == 1 && values[0]!.Contains(',', StringComparison.Ordinal);
}
