using System.Globalization;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Net.Http.Headers;

namespace Gatehouse.Plugins.BuiltIn.Cache;

/// <summary>
/// <c>cache</c>: a shared response cache in memory for GET (and HEAD, answered from GET entries), after the gateway's
/// authentication and rate limits. Honours Cache-Control both ways and Vary; one request per missing key goes to
/// the node while the others wait for it. See docs/plugins.md, "cache".
/// </summary>
internal sealed class CachePlugin(CacheSettings settings, CacheStore store, CacheCounters counters) : IGatewayPlugin
{
    public const string StatusHeader = "X-Cache";

    private static readonly ValueTask<PluginResponse?> Continue = ValueTask.FromResult<PluginResponse?>(null);

    public PluginPhases Phases => PluginPhases.Request | PluginPhases.Response;

    public PluginStage Stage => PluginStage.AfterAccessControl;

    public ValueTask<PluginResponse?> OnRequestAsync(PluginContext context)
    {
        var request = context.Http.Request;
        var head = HttpMethods.IsHead(request.Method);
        if (!head && !HttpMethods.IsGet(request.Method))
        {
            return Continue;
        }

        var requestControl = CacheControl.Parse(request.Headers.CacheControl);
        var counter = counters.For(context.Service, context.Api);
        if (requestControl.NoStore)
        {
            counter.Bypass();
            return Continue;
        }

        var now = DateTimeOffset.UtcNow;
        var key = Key(context);
        var authorized = request.Headers.ContainsKey(HeaderNames.Authorization);

        // no-cache (or max-age=0, or Pragma: no-cache alone) asks for a response from the node; it is stored anew.
        var refresh = requestControl.NoCache || requestControl.MaxAge == TimeSpan.Zero
            || (request.Headers.CacheControl.Count == 0 && request.Headers.Pragma.ToString().Contains("no-cache", StringComparison.OrdinalIgnoreCase));
        if (!refresh && Find(key, request, authorized, now) is { } hit)
        {
            counter.Hit();
            return ValueTask.FromResult<PluginResponse?>(Answer(hit, now));
        }

        counter.Miss();
        if (head)
        {
            // A HEAD response has no body to store.
            return Continue;
        }

        if (!store.TryLead(key, out var fetch))
        {
            return WaitForLeaderAsync(context, key, fetch, authorized, refresh);
        }

        Capture(context.Http, key, fetch, authorized);
        return Continue;
    }

    public void OnResponse(PluginContext context)
    {
        var response = context.Http.Response;
        if (context.Http.Features.Get<IHttpResponseBodyFeature>() is CachingBodyFeature state)
        {
            // Taken here, before the response phases of filters that ran earlier in the request add their own
            // per-request headers (a hit runs those phases again).
            state.Headers = CacheableHeaders.Snapshot(response.Headers);
        }

        if (HttpMethods.IsGet(context.Http.Request.Method) || HttpMethods.IsHead(context.Http.Request.Method))
        {
            response.Headers[StatusHeader] = "MISS";
        }
    }

    private async ValueTask<PluginResponse?> WaitForLeaderAsync(PluginContext context, string key, TaskCompletionSource fetch,
        bool authorized, bool refresh)
    {
        try
        {
            await fetch.Task.WaitAsync(settings.LockTimeout, context.Http.RequestAborted).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            // The first request is slow: this one goes to the node itself rather than wait longer.
            return null;
        }

        var now = DateTimeOffset.UtcNow;
        if (!refresh && Find(key, context.Http.Request, authorized, now) is { } hit)
        {
            counters.For(context.Service, context.Api).CoalescedHit();
            return Answer(hit, now);
        }

        return null;
    }

    private void Capture(HttpContext http, string key, TaskCompletionSource fetch, bool authorized)
    {
        var inner = http.Features.Get<IHttpResponseBodyFeature>();
        if (inner is null)
        {
            store.EndLead(key, fetch);
            return;
        }

        var state = new CachingBodyFeature(inner, settings.MaxEntryBytes, key, fetch, authorized);
        http.Features.Set<IHttpResponseBodyFeature>(state);
        http.Response.OnCompleted(static s =>
        {
            var (plugin, context, capture) = ((CachePlugin, HttpContext, CachingBodyFeature))s;
            plugin.Complete(context, capture);
            return Task.CompletedTask;
        }, (this, http, state));
    }

    /// <summary>Stores the response just sent if it may be, then lets waiting requests look again.</summary>
    private void Complete(HttpContext http, CachingBodyFeature capture)
    {
        try
        {
            var now = DateTimeOffset.UtcNow;
            if (CacheableHeaders.Decide(http, capture, settings, now) is { } entry)
            {
                store.Put(capture.Key, entry, now);
            }
        }
        finally
        {
            store.EndLead(capture.Key, capture.Fetch);
        }
    }

    private CachedResponse? Find(string key, HttpRequest request, bool authorized, DateTimeOffset now)
    {
        var variants = store.Get(key);
        if (variants is null)
        {
            return null;
        }

        foreach (var variant in variants)
        {
            if (variant.Expires > now && (!authorized || variant.SharedWithAuthorization) && Matches(variant, request))
            {
                return variant;
            }
        }

        return null;
    }

    private static bool Matches(CachedResponse variant, HttpRequest request)
    {
        for (var i = 0; i < variant.VaryNames.Length; i++)
        {
            var value = request.Headers[variant.VaryNames[i]];
            if (!string.Equals(value.Count == 0 ? null : value.ToString(), variant.VaryValues[i], StringComparison.Ordinal))
            {
                return false;
            }
        }

        return true;
    }

    private static PluginResponse Answer(CachedResponse hit, DateTimeOffset now)
    {
        var headers = new KeyValuePair<string, string>[hit.Headers.Length + 2];
        hit.Headers.CopyTo(headers, 0);
        var age = (long)Math.Max(0, (now - hit.StoredAt).TotalSeconds);
        headers[^2] = new(HeaderNames.Age, age.ToString(CultureInfo.InvariantCulture));
        headers[^1] = new(StatusHeader, "HIT");
        return new PluginResponse(hit.Status, headers, hit.Body);
    }

    /// <summary>Service, API, host, path and query: the same URL of two services (told apart by a header) is two keys.</summary>
    private static string Key(PluginContext context)
    {
        var request = context.Http.Request;
        return string.Concat([context.Service, "\n", context.Api, "\n", request.Host.Value, "\n", request.PathBase.Value, request.Path.Value, request.QueryString.Value]);
    }
}
