using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;

namespace Gatehouse.Gateway.FunctionalTests.Infrastructure;

/// <summary>A snapshot of the request a backend received, safe to inspect after the request ended.</summary>
internal sealed record CapturedRequest(string Method, string Protocol, string Path, string RawTarget,
    IReadOnlyDictionary<string, string> Headers)
{
    /// <summary>Takes the snapshot; header values with several entries are joined with ", ".</summary>
    public static CapturedRequest From(HttpContext context)
    {
        var headers = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (var header in context.Request.Headers)
        {
            headers[header.Key] = string.Join(", ", header.Value.ToArray());
        }

        return new CapturedRequest(context.Request.Method, context.Request.Protocol, context.Request.Path.Value ?? "",
            context.Features.Get<IHttpRequestFeature>()!.RawTarget, headers);
    }

    /// <summary>The header value, or null when absent.</summary>
    public string? Header(string name) => Headers.TryGetValue(name, out var value) ? value : null;
}
