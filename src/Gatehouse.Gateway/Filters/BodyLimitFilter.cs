using System.Globalization;
using Gatehouse.Gateway.Http;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;

namespace Gatehouse.Gateway.Filters;

/// <summary>
/// <c>policy.limits.maxBodyBytes</c> of an API. A declared Content-Length over the limit is refused up front with 413
/// <c>payload_too_large</c> before anything is sent upstream; a chunked body gets the limit as Kestrel's per-request
/// body size, so reading past it fails the forward, which answers 413 while the response has not started and
/// aborts the exchange otherwise.
/// </summary>
internal sealed class BodyLimitFilter : BuiltInFilter
{
    private readonly long _maxBytes;

    public BodyLimitFilter(long maxBytes)
    {
        _maxBytes = maxBytes;
    }

    public override ValueTask<bool> OnRequestAsync(HttpContext context)
    {
        if (context.Request.ContentLength is { } length && length > _maxBytes)
        {
            return RejectAsync(context, length);
        }

        // Read-only once the body has been read (an upgrade, or a filter before us that buffered it).
        var feature = context.Features.Get<IHttpMaxRequestBodySizeFeature>();
        if (feature is { IsReadOnly: false } && (feature.MaxRequestBodySize is not { } current || current > _maxBytes))
        {
            feature.MaxRequestBodySize = _maxBytes;
        }

        return ValueTask.FromResult(true);
    }

    private async ValueTask<bool> RejectAsync(HttpContext context, long length)
    {
        // The unread body would otherwise be drained to keep the connection; closing is cheaper and safer.
        await ProblemWriter.WriteAsync(context, GatewayError.PayloadTooLarge,
            $"The request body of {length.ToString(CultureInfo.InvariantCulture)} bytes is over this API's limit of {_maxBytes.ToString(CultureInfo.InvariantCulture)} bytes.",
            [new("Connection", "close")]);
        return false;
    }
}
