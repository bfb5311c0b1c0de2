using Microsoft.AspNetCore.Http;

namespace Gatehouse.Gateway.Pipeline;

/// <summary>Request properties the handler asks about (the request-shape checks are in <see cref="RequestGuard"/>).</summary>
internal static class RequestLimits
{
    /// <summary>
    /// RFC 9110 §9.2.2 idempotent methods: safe to send again once they may have reached a node (a failed connect
    /// is retried whatever the method).
    /// </summary>
    public static bool IsIdempotent(string method) =>
        HttpMethods.IsGet(method) || HttpMethods.IsHead(method) || HttpMethods.IsOptions(method)
        || HttpMethods.IsTrace(method) || HttpMethods.IsPut(method) || HttpMethods.IsDelete(method);
}
