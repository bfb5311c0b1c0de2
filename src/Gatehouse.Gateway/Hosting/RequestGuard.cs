using System.Globalization;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Primitives;
using Microsoft.Net.Http.Headers;

namespace Gatehouse.Gateway.Hosting;

/// <summary>
/// Checks every proxied request before routing sees it: message framing (request smuggling), target length,
/// forwarding loops and the path rule (<see cref="PathNormalizer"/>); then resolves the client address once
/// (<see cref="TrustedProxies"/>). Each check is a few comparisons on headers Kestrel has already parsed.
/// </summary>
internal sealed class RequestGuard
{
    /// <summary>Hop counter each gateway increments; over <see cref="GatewayLimits.MaxHops"/> the request is refused.</summary>
    public const string HopsHeader = "X-Gatehouse-Hops";

    private const string KestrelMovedContentLength = "X-Content-Length";

    private static readonly KeyValuePair<string, string>[] CloseConnection = [new("Connection", "close")];

    private readonly GatewayLimits _limits;
    private readonly TrustedProxies _trustedProxies;
    private readonly string[] _hopValues;

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

        // The outgoing counter values as strings made once, so setting the header allocates nothing.
        _hopValues = new string[_limits.MaxHops];
        for (var i = 0; i < _hopValues.Length; i++)
        {
            _hopValues[i] = (i + 1).ToString(CultureInfo.InvariantCulture);
        }
    }

    /// <summary>Runs the checks; answers the request itself when one fails, else hands it to <paramref name="next"/>.</summary>
    public Task InvokeAsync(HttpContext context, GatewayRequestHandler next)
    {
        var request = context.Request;
        var headers = request.Headers;

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

        // :: Forwarding loops.
        var hops = 0;
        if (headers.TryGetValue(HopsHeader, out var hopValues))
        {
            if (hopValues.Count != 1 || !int.TryParse(hopValues[0], NumberStyles.None, CultureInfo.InvariantCulture, out hops))
            {
                return ProblemWriter.WriteAsync(context, GatewayError.BadRequest, $"{HopsHeader} must be one non-negative integer.");
            }

            if (hops >= _limits.MaxHops)
            {
                return ProblemWriter.WriteAsync(context, GatewayError.LoopDetected,
                    $"The request has already passed {hops} gateways (limit {_limits.MaxHops}); a mapping probably points back at a gateway.");
            }
        }

        headers[HopsHeader] = _hopValues[hops];

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
        return next.InvokeAsync(context);
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
