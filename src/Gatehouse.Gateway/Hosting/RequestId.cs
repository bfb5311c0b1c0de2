using Microsoft.AspNetCore.Http;

namespace Gatehouse.Gateway.Hosting;

/// <summary>
/// Every request gets an <c>X-Request-Id</c>: the caller's if it sent one, else a new one. It is forwarded
/// upstream, returned to the client and written into error bodies, so one id follows a request everywhere.
/// </summary>
internal static class RequestId
{
    public const string HeaderName = "X-Request-Id";

    public static string Ensure(HttpContext context)
    {
        var request = context.Request.Headers;
        string id;
        if (request.TryGetValue(HeaderName, out var existing) && existing.Count > 0 && !string.IsNullOrEmpty(existing[0]) && existing[0]!.Length <= 128)
        {
            id = existing[0]!;
        }
        else
        {
            id = Guid.NewGuid().ToString("N");
            request[HeaderName] = id;
        }

        context.Response.Headers[HeaderName] = id;
        return id;
    }
}
