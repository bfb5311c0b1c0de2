using System.Net;
using System.Text.Json;
using BenchmarkDotNet.Attributes;
using Gatehouse.Plugins;
using Microsoft.AspNetCore.Http;

namespace Gatehouse.Benchmarks.Filters;

/// <summary>
/// Per-request cost of each built-in plugin filter, as the gateway runs it: one <see cref="PluginContext"/> per
/// request, the request phase, and the response phase where the filter has one. An API without plugin filters has
/// no chain at all (it pays nothing; pinned by an allocation test), so the baseline is the context alone.
/// </summary>
/// <remarks>Public and unsealed because BenchmarkDotNet derives its generated runner from the benchmark class.</remarks>
[MemoryDiagnoser]
public class PluginBenchmarks
{
    private static readonly IPAddress Client = IPAddress.Parse("203.0.113.7");
    private IGatewayPlugin _cors = null!;
    private IGatewayPlugin _headers = null!;
    private IGatewayPlugin _mock = null!;
    private IGatewayPlugin _cache = null!;
    private IGatewayPlugin _rewrite = null!;
    private IGatewayPlugin _rewriteRegex = null!;
    private IGatewayPlugin _keyAuth = null!;
    private IGatewayPlugin _basicAuth = null!;
    private DefaultHttpContext _user = null!;
    private DefaultHttpContext _app = null!;
    private DefaultHttpContext _get = null!;
    private DefaultHttpContext _preflight = null!;

    [GlobalSetup]
    public void Setup()
    {
        var catalog = PluginCatalog.NewBuiltIn();
        _cors = Create(catalog, "cors", """{"origins":["https://app.example.com"],"credentials":true,"maxAgeSeconds":600}""");
        _headers = Create(catalog, "headers", """{"request":{"set":{"X-Client":"${clientIp}"},"remove":["X-Debug"]},"response":{"set":{"X-Frame-Options":"DENY"}}}""");
        _mock = Create(catalog, "mock", """{"status":200,"json":{"id":42,"name":"Sample"}}""");
        _cache = Create(catalog, "cache", """{"ttlSeconds":3600}""");
        _rewrite = Create(catalog, "rewrite", """{"from":"/catalog/{id}","to":"/v2/items/{id}","query":{"add":{"src":"gw"}}}""");
        _rewriteRegex = Create(catalog, "rewrite", """{"regex":"^/catalog/(\\d+)$","replacement":"/v2/items/$1"}""");
        const string key = "9f2c4e7a1b3d5f6081a2c3e4f5a6b7c8d9e0f1a2b3c4d5e6";
        var keyHash = Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(key)));
        _keyAuth = Create(catalog, "key-auth", $$"""{"keys":[{"app":"shop","key":"sha256:{{keyHash}}"}]}""");
        var salt = new byte[16];
        var hash = System.Security.Cryptography.Rfc2898DeriveBytes.Pbkdf2("s3cret", salt, 210_000, System.Security.Cryptography.HashAlgorithmName.SHA256, 32);
        var stored = $"pbkdf2-sha256$210000${Convert.ToBase64String(salt)}${Convert.ToBase64String(hash)}";
        _basicAuth = Create(catalog, "basic-auth", "{\"users\":{\"ana\":\"" + stored + "\"}}");

        _get = new DefaultHttpContext();
        _get.Request.Method = "GET";
        _get.Request.Host = new HostString("api.example.com");
        _get.Request.Path = "/catalog/42";
        _get.Request.Headers.Origin = "https://app.example.com";
        _preflight = new DefaultHttpContext();
        _preflight.Request.Method = "OPTIONS";
        _preflight.Request.Path = "/catalog/42";
        _preflight.Request.Headers.Origin = "https://app.example.com";
        _preflight.Request.Headers.AccessControlRequestMethod = "PUT";

        _app = new DefaultHttpContext();
        _app.Request.Method = "GET";
        _app.Request.Path = "/catalog/42";
        _user = new DefaultHttpContext();
        _user.Request.Method = "GET";
        _user.Request.Path = "/catalog/42";

        // One stored entry for the hit benchmark, as a miss would have left it.
        Seed();

        // basic-auth remembers a successful check; the first one pays the PBKDF2 cost, as the first request would.
        Prepare(_user, "Authorization", "Basic " + Convert.ToBase64String("ana:s3cret"u8));
        if (Run(_basicAuth, _user) is not null)
        {
            throw new InvalidOperationException("basic-auth refused the benchmark's user");
        }
    }

    [Benchmark(Baseline = true)]
    public PluginContext ContextOnly() => Context(_get);

    [Benchmark]
    public object? Cors_SimpleRequest() => Run(_cors, _get);

    [Benchmark]
    public object? Cors_Preflight() => Run(_cors, _preflight);

    [Benchmark]
    public object? Headers_SetRemoveAndResponse() => Run(_headers, _get);

    [Benchmark]
    public object? Mock_Answer() => Run(_mock, _get);

    [Benchmark]
    public object? Cache_Hit() => Run(_cache, _get);

    [Benchmark]
    public object? Rewrite_Template_AndQuery()
    {
        _app.Request.Path = "/catalog/42";
        _app.Request.QueryString = QueryString.Empty;
        return Run(_rewrite, _app);
    }

    [Benchmark]
    public object? Rewrite_Regex()
    {
        _app.Request.Path = "/catalog/42";
        return Run(_rewriteRegex, _app);
    }

    [Benchmark]
    public object? KeyAuth_Accepted()
    {
        Prepare(_app, "X-Api-Key", "9f2c4e7a1b3d5f6081a2c3e4f5a6b7c8d9e0f1a2b3c4d5e6");
        return Run(_keyAuth, _app);
    }

    [Benchmark]
    public object? BasicAuth_AcceptedFromItsCache()
    {
        Prepare(_user, "Authorization", "Basic " + Convert.ToBase64String("ana:s3cret"u8));
        return Run(_basicAuth, _user);
    }

    /// <summary>Puts back the credential the filter removed from the previous request (it hides credentials).</summary>
    private static void Prepare(HttpContext http, string header, string value) => http.Request.Headers[header] = value;

    private static PluginContext Context(HttpContext http) => new(http, "catalog", "get", Client);

    private static object? Run(IGatewayPlugin plugin, HttpContext http)
    {
        // Each request starts with an empty response, as a real one does (cors appends Vary: Origin).
        http.Response.Headers.Clear();
        var context = Context(http);
        var answer = (plugin.Phases & PluginPhases.Request) != 0 ? plugin.OnRequestAsync(context).Result : null;
        if (answer is null && (plugin.Phases & PluginPhases.Response) != 0)
        {
            plugin.OnResponse(context);
        }

        return answer;
    }

    private void Seed()
    {
        var miss = new DefaultHttpContext();
        miss.Request.Method = "GET";
        miss.Request.Host = _get.Request.Host;
        miss.Request.Path = _get.Request.Path;
        var feature = new CompletingResponseFeature();
        miss.Features.Set<Microsoft.AspNetCore.Http.Features.IHttpResponseFeature>(feature);
        miss.Features.Set<Microsoft.AspNetCore.Http.Features.IHttpResponseBodyFeature>(new StreamResponseBodyFeature(new MemoryStream()));
        var context = Context(miss);
        if (_cache.OnRequestAsync(context).Result is not null)
        {
            throw new InvalidOperationException("the cache answered a request it has never seen");
        }

        miss.Response.StatusCode = 200;
        miss.Response.ContentType = "application/json";
        _cache.OnResponse(context);
        miss.Response.Body.Write("""{"id":42,"name":"Sample"}"""u8);
        feature.CompleteAsync().GetAwaiter().GetResult();
        if (Run(_cache, _get) is null)
        {
            throw new InvalidOperationException("the seeded response was not stored");
        }
    }

    private static IGatewayPlugin Create(PluginCatalog catalog, string name, string settings)
    {
        if (!catalog.TryGet(name, out var factory))
        {
            throw new InvalidOperationException($"no built-in '{name}'");
        }

        return factory.Create(JsonDocument.Parse(settings).RootElement);
    }

    /// <summary>The response feature of a test exchange that runs its OnCompleted callbacks when told to, as a server does.</summary>
    private sealed class CompletingResponseFeature : Microsoft.AspNetCore.Http.Features.HttpResponseFeature
    {
        private readonly List<(Func<object, Task> Callback, object State)> _completed = [];

        public override void OnCompleted(Func<object, Task> callback, object state) => _completed.Add((callback, state));

        public async Task CompleteAsync()
        {
            foreach (var (callback, state) in _completed)
            {
                await callback(state);
            }
        }
    }
}
