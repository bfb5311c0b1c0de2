using System.Globalization;
using Microsoft.AspNetCore.Http;
using Microsoft.Net.Http.Headers;

namespace Gatehouse.Plugins.BuiltIn.Cache;

/// <summary>What of a response is stored, and whether it may be (RFC 9111 §3 for a shared cache).</summary>
internal static class CacheableHeaders
{
    // Per-connection or per-request headers: never replayed from the cache. The gateway's own (request id, route,
    // rate-limit state) are set anew on every request.
    private static readonly HashSet<string> NotStored = new(StringComparer.OrdinalIgnoreCase)
    {
        HeaderNames.Connection, HeaderNames.KeepAlive, HeaderNames.TransferEncoding, HeaderNames.TE, HeaderNames.Trailer,
        HeaderNames.Upgrade, HeaderNames.ProxyAuthenticate, "Proxy-Connection", HeaderNames.ContentLength, HeaderNames.Date,
        HeaderNames.Server, HeaderNames.Age, HeaderNames.SetCookie, CachePlugin.StatusHeader, "X-Request-Id", "X-Gatehouse-Route",
        "RateLimit-Limit", "RateLimit-Remaining", "RateLimit-Reset", "RateLimit-Policy",
    };

    public static KeyValuePair<string, string>[] Snapshot(IHeaderDictionary headers)
    {
        var kept = new List<KeyValuePair<string, string>>(headers.Count);
        foreach (var (name, values) in headers)
        {
            if (NotStored.Contains(name))
            {
                continue;
            }

            foreach (var value in values)
            {
                if (value is not null)
                {
                    kept.Add(new(name, value));
                }
            }
        }

        return kept.ToArray();
    }

    /// <summary>The entry to store for the response just completed, or null when it must not be stored.</summary>
    public static CachedResponse? Decide(HttpContext http, CachingBodyFeature capture, CacheSettings settings, DateTimeOffset now)
    {
        var response = http.Response;
        // Broken off (client gone, node failed mid-body): what was copied is not the whole response.
        if (http.RequestAborted.IsCancellationRequested || capture.Copy is not { } body || capture.Headers is not { } headers
            || Array.IndexOf(settings.Statuses, response.StatusCode) < 0
            || (response.ContentLength is { } length && length != body.WrittenCount)
            || response.Headers.ContainsKey(HeaderNames.SetCookie))
        {
            return null;
        }

        var control = CacheControl.Parse(response.Headers.CacheControl);
        if (control.NoStore || control.Private || control.NoCache)
        {
            return null;
        }

        // RFC 9111 §3.5: a response to a request with Authorization is shared only when it says so.
        var shared = control.Public || control.SharedMaxAge is not null;
        if (capture.Authorized && !shared)
        {
            return null;
        }

        var vary = Vary(response.Headers.Vary);
        if (vary is null)
        {
            return null;
        }

        var ttl = control.SharedMaxAge ?? control.MaxAge ?? settings.Ttl;
        if (int.TryParse(response.Headers.Age.ToString(), NumberStyles.None, CultureInfo.InvariantCulture, out var age))
        {
            ttl -= TimeSpan.FromSeconds(age);
        }

        ttl = ttl > settings.MaxTtl ? settings.MaxTtl : ttl;
        if (ttl <= TimeSpan.Zero)
        {
            return null;
        }

        var values = new string?[vary.Length];
        for (var i = 0; i < vary.Length; i++)
        {
            var value = http.Request.Headers[vary[i]];
            values[i] = value.Count == 0 ? null : value.ToString();
        }

        return new CachedResponse(response.StatusCode, headers, body.WrittenMemory.ToArray(), vary, values, shared, now, now + ttl);
    }

    /// <summary>The header names of Vary, or null for <c>Vary: *</c> (never matches a later request, so not stored).</summary>
    private static string[]? Vary(Microsoft.Extensions.Primitives.StringValues values)
    {
        var names = new List<string>();
        foreach (var value in values)
        {
            foreach (var part in (value ?? "").Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
            {
                if (part == "*")
                {
                    return null;
                }

                names.Add(part);
            }
        }

        return names.ToArray();
    }
}
