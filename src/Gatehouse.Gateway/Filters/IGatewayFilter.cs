using Microsoft.AspNetCore.Http;

namespace Gatehouse.Gateway.Filters;

/// <summary>
/// An inbound step between matching and routing (rate limits, and later IP lists, signatures, JWT, ...).
/// Filters are chosen per API when the snapshot is compiled and run in order; one may end the request.
/// </summary>
public interface IGatewayFilter
{
    /// <summary>Returns false when the filter has answered the request itself (it wrote the response).</summary>
    ValueTask<bool> OnRequestAsync(HttpContext context);
}
