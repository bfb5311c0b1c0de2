using Microsoft.AspNetCore.Http;

namespace Gatehouse.Gateway.Hosting;

/// <summary>Cheap per-request checks made before any routing work.</summary>
internal static class RequestLimits
{
    /// <summary>
    /// Kestrel's own header limits are set above ours so that an oversized request reaches the gateway and gets
    /// problem JSON (431) instead of Kestrel's bare status line; Kestrel's limit stays as the hard backstop.
    /// </summary>
    public static bool HeadersWithinLimits(IHeaderDictionary headers, GatewayLimits limits)
    {
        if (headers.Count > limits.MaxRequestHeaderCount)
        {
            return false;
        }

        var total = 0;
        foreach (var header in headers)
        {
            total += header.Key.Length;
            foreach (var value in header.Value)
            {
                total += value?.Length ?? 0;
            }
        }

        return total <= limits.MaxRequestHeadersTotalSize;
    }

    /// <summary>RFC 9110 §9.2.2 idempotent methods: safe to send again after a failed connect.</summary>
    public static bool IsIdempotent(string method) =>
        HttpMethods.IsGet(method) || HttpMethods.IsHead(method) || HttpMethods.IsOptions(method)
        || HttpMethods.IsTrace(method) || HttpMethods.IsPut(method) || HttpMethods.IsDelete(method);
}
